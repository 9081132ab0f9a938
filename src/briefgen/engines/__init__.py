"""Engines that write briefs, behind one interface (`Engine.write`)."""

from __future__ import annotations

import importlib.util

from ..config import Settings
from ..errors import ConfigError
from .base import Engine, Passage
from .extractive import ExtractiveEngine

ENGINES = ("extractive", "openai", "local", "auto")


def available(settings: Settings) -> dict[str, bool]:
    """Engine names and whether each can run with these settings on this installation."""
    local_file = settings.local_model or settings.default_local_model
    return {
        "extractive": True,
        "openai": settings.llm_configured,
        "local": local_file.is_file() and importlib.util.find_spec("llama_cpp") is not None,
    }


def resolve(name: str, settings: Settings) -> str:
    """`auto`: a configured endpoint, else an installed local model, else extractive."""
    name = (name or "auto").lower()
    if name != "auto":
        return name
    can = available(settings)
    return "openai" if can["openai"] else "local" if can["local"] else "extractive"


def get_engine(name: str, settings: Settings) -> Engine:
    name = resolve(name, settings)
    if name == "extractive":
        return ExtractiveEngine(settings.vendor_domains)
    if name == "openai":
        from ..models.openai_compat import MethodMemory, OpenAICompatModel
        from .llm import LLMEngine

        if not settings.llm_configured:
            raise ConfigError(
                "the openai engine needs BRIEFGEN_LLM_BASE_URL (any OpenAI-compatible server) "
                "or OPENAI_API_KEY with BRIEFGEN_LLM_MODEL"
            )
        model = OpenAICompatModel(
            base_url=settings.llm_base_url,
            model=settings.llm_model or "default",
            api_key=settings.llm_api_key,
            # No single request may outlive the brief's overall deadline.
            timeout=min(settings.llm_timeout, settings.deadline),
            context_chars=settings.llm_context_chars,
            memory=MethodMemory(settings.home / "llm_methods.json"),
            method=settings.llm_method,
        )
        return LLMEngine(
            model, settings.llm_max_tokens, settings.mask_secrets, assist=settings.llm_mode == "assist"
        )
    if name == "local":
        from ..models.local import LocalModel
        from .llm import LLMEngine

        path = settings.local_model or settings.default_local_model
        # A small model on a CPU writes ~10 tokens/s: fewer, shorter items keep a brief near a
        # minute or two, and the token cap sits above what those bounds allow, so it finishes.
        max_tokens = min(settings.llm_max_tokens, 1400)
        local = LocalModel(path, settings.local_ctx, max_tokens)
        return LLMEngine(
            local,
            max_tokens,
            settings.mask_secrets,
            max_items=3,
            max_chars=180,
            assist=settings.llm_mode == "assist",
            ask_each=True,
        )
    raise ConfigError(f"unknown engine '{name}' (available: {', '.join(ENGINES)})")


__all__ = ["ENGINES", "Engine", "ExtractiveEngine", "Passage", "available", "get_engine", "resolve"]

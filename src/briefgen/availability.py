"""Whether an engine asked for by name can run here, checked before any work starts, so a
run that would only produce fallback briefs stops at once with the reason."""

from __future__ import annotations

import socket
from urllib.parse import urlparse

from .config import Settings
from .engines import ENGINES, available, resolve
from .errors import ConfigError


def endpoint_reachable(base_url: str | None, timeout: float = 3.0) -> str | None:
    """None if something accepts connections at the endpoint, else the reason it does not."""
    url = urlparse(base_url or "https://api.openai.com/v1")
    host = url.hostname or ""
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return f"cannot connect to {host}:{port} ({exc.strerror or exc})"


def unavailable_reason(name: str, settings: Settings) -> str | None:
    if name not in ENGINES:
        return f"unknown engine (one of {', '.join(ENGINES)})"
    resolved = resolve(name, settings)
    if not available(settings)[resolved]:
        if resolved == "openai":
            return "no endpoint configured (BRIEFGEN_LLM_BASE_URL, or OPENAI_API_KEY with BRIEFGEN_LLM_MODEL)"
        return "no local model installed (`briefgen model install`) or llama-cpp-python missing"
    if resolved == "openai":
        return endpoint_reachable(settings.llm_base_url)
    return None


def require(names: list[str], settings: Settings) -> None:
    problems = [f"{n}: {why}" for n in names if (why := unavailable_reason(n, settings))]
    if problems:
        raise ConfigError("engine not available: " + "; ".join(problems))

"""Engines that write briefs, behind one interface (`Engine.write`)."""

from __future__ import annotations

from ..config import Settings
from ..errors import ConfigError
from .base import Engine, Passage
from .extractive import ExtractiveEngine

ENGINES = ("extractive", "auto")


def available() -> dict[str, bool]:
    """Engine names and whether each can run on this installation."""
    return {"extractive": True}


def get_engine(name: str, settings: Settings) -> Engine:
    name = (name or "auto").lower()
    if name in ("extractive", "auto"):
        return ExtractiveEngine(settings.vendor_domains)
    raise ConfigError(f"unknown engine '{name}' (available: {', '.join(ENGINES)})")


__all__ = ["ENGINES", "Engine", "ExtractiveEngine", "Passage", "available", "get_engine"]

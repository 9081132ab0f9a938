"""Settings, read from `BRIEFGEN_*` environment variables; CLI flags override them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    home: Path
    chroma_url: str | None = None
    vendor_domains: tuple[str, ...] = ()
    chunk_size: int = 1000
    chunk_overlap: int = 150
    max_file_bytes: int = 50 * 1024 * 1024
    # Deals whose sources add up to less than this are given to an engine whole;
    # larger ones are reduced to the passages retrieval ranks highest per section.
    evidence_budget_chars: int = 400_000
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, home: Path | str | None = None) -> Settings:
        home_path = Path(home or os.environ.get("BRIEFGEN_HOME") or ".briefgen")
        domains = tuple(
            d.strip().lower().lstrip("@")
            for d in os.environ.get("BRIEFGEN_VENDOR_DOMAINS", "").split(",")
            if d.strip()
        )
        return cls(
            home=home_path,
            chroma_url=os.environ.get("BRIEFGEN_CHROMA_URL") or None,
            vendor_domains=domains,
            chunk_size=_int_env("BRIEFGEN_CHUNK_SIZE", 1000),
            chunk_overlap=_int_env("BRIEFGEN_CHUNK_OVERLAP", 150),
            max_file_bytes=_int_env("BRIEFGEN_MAX_FILE_BYTES", 50 * 1024 * 1024),
            evidence_budget_chars=_int_env("BRIEFGEN_EVIDENCE_BUDGET", 400_000),
        )

"""What `briefgen info` reports: the version, where data lives, how much is stored, which
engines can run and where the local model is. Reading it never creates the data home."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .config import Settings
from .database import SQLITE_NAME as DB_NAME
from .database import redacted
from .engines import available, resolve
from .errors import StoreError

if TYPE_CHECKING:
    from .records import Records


def folder_bytes(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


@contextmanager
def stored_records(settings: Settings) -> Iterator[Records | None]:
    """The record database opened for reading, or None when the data home holds none yet
    (it is not created here)."""
    if not settings.database_url:
        if settings.home.exists() and not settings.home.is_dir():
            raise StoreError(
                f"cannot open the record database {settings.home / DB_NAME}: {settings.home} is not a folder"
            )
        if not (settings.home / DB_NAME).exists():
            yield None
            return
    from .records import Records

    records = Records.open(settings.home, settings.database_url, read_only=True)
    try:
        yield records
    finally:
        records.close()


def deal_rows(settings: Settings) -> list[dict[str, Any]]:
    """The store's deals, or none when the data home does not exist."""
    with stored_records(settings) as records:
        return records.list_deals() if records else []


def describe(settings: Settings) -> dict[str, Any]:
    rows = deal_rows(settings)
    model = settings.local_model or settings.default_local_model
    return {
        "version": __version__,
        "home": str(settings.home.resolve()),
        "store": {
            "exists": settings.home.is_dir(),
            "deals": len(rows),
            "sources": sum(int(r["sources"]) for r in rows),
            "briefs": sum(int(r["briefs"]) for r in rows),
            "bytes": folder_bytes(settings.home),
            "chroma": settings.chroma_url or str((settings.home / "chroma").resolve()),
            "database": redacted(settings.database_url)
            if settings.database_url
            else str((settings.home / DB_NAME).resolve()),
        },
        "engines": {**available(settings), "auto": resolve("auto", settings)},
        "model": {
            "path": str(model.resolve()),
            "installed": model.is_file(),
            "llama_cpp": importlib.util.find_spec("llama_cpp") is not None,
        },
    }

"""The embedded vector store is opened by one process at a time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from briefgen.config import Settings
from briefgen.embeddings import default_embedder
from briefgen.errors import StoreError
from briefgen.store import Store

_OTHER = """
import sys
from briefgen.config import Settings
from briefgen.errors import StoreError
from briefgen.store import Store
from briefgen.embeddings import default_embedder
store = Store(Settings.from_env(sys.argv[1]), default_embedder())
try:
    store.vectors
except StoreError as exc:
    print("refused:", exc)
else:
    print("opened")
store.close()
"""


def _other_process(home: Path) -> str:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", _OTHER, str(home)], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_second_process_is_refused_until_the_first_closes(tmp_path: Path) -> None:
    settings = Settings.from_env(tmp_path)
    first = Store(settings, default_embedder())
    assert first.vectors.count() == 0  # opens the embedded index
    same_process = Store(settings, default_embedder())
    assert same_process.vectors.count() == 0  # stores within one process share the folder
    same_process.close()

    refused = _other_process(tmp_path)
    assert refused.startswith("refused:")
    assert str(tmp_path / "chroma") in refused and "BRIEFGEN_CHROMA_URL" in refused

    first.close()
    assert _other_process(tmp_path) == "opened"


def test_records_alone_take_no_lock(tmp_path: Path) -> None:
    """Commands that only read records (list, show) never wait on the index."""
    store = Store(Settings.from_env(tmp_path), default_embedder())
    store.records  # noqa: B018
    assert _other_process(tmp_path) == "opened"
    store.close()


def test_a_store_that_failed_to_open_holds_no_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import chromadb

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(chromadb, "PersistentClient", broken)
    store = Store(Settings.from_env(tmp_path), default_embedder())
    with pytest.raises(StoreError, match="disk full"):
        store.vectors  # noqa: B018
    monkeypatch.undo()
    assert _other_process(tmp_path) == "opened"

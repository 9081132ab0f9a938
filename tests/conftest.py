from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from briefgen.config import Settings
from briefgen.embeddings import default_embedder
from briefgen.store import Store

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "ingest"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def _no_outside_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's settings or reaches a model by accident."""
    for key in list(os.environ):
        if key.startswith("BRIEFGEN_") or key in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr("briefgen.models.base.ALLOW_MODEL_REQUESTS", False)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    s = Store(Settings.from_env(home), embedder=default_embedder())
    yield s
    s.close()


@pytest.fixture(scope="session")
def examples_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """All example deals ingested once for the tests that only read."""
    from briefgen.ingestion import ingest_paths

    home = tmp_path_factory.mktemp("examples-home")
    s = Store(Settings.from_env(home), embedder=default_embedder())
    report = ingest_paths(s, [EXAMPLES])
    assert not report.skipped, report.skipped
    yield s
    s.close()


@pytest.fixture
def deal_dir(tmp_path: Path) -> Path:
    """A writable copy of one example deal."""
    dst = tmp_path / "deals" / "acme-logistics"
    shutil.copytree(EXAMPLES / "acme-logistics", dst)
    return dst


@pytest.fixture(scope="session")
def postgres() -> Iterator[object]:
    """A PostgreSQL cluster for the session (Debian's package, started on 127.0.0.1)."""
    from .servers import Postgres

    server = Postgres()
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chroma_server() -> Iterator[object]:
    """A Chroma server (`chroma run`) on 127.0.0.1 for the session."""
    from .servers import ChromaServer

    server = ChromaServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each record test runs against both backends: a SQLite file and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'records.sqlite3'}"
    server = request.getfixturevalue("postgres")
    return str(server.new_database())  # type: ignore[attr-defined]

"""Faults: a process killed mid-ingest, a store that cannot be written, a model endpoint that is
down (end to end through batch mode and the API), and secrets kept out of logs and errors."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from briefgen.batch import run_batch
from briefgen.config import Settings
from briefgen.engines import get_engine
from briefgen.errors import StoreError
from briefgen.ingestion import ingest_paths
from briefgen.records import Records
from briefgen.store import Store

from ..conftest import EXAMPLES
from ..llm_server import free_port
from ..served import Served


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")}
    env.update(BRIEFGEN_HOME=str(home), **extra)
    return env


def consistent(store: Store, deal: str) -> None:
    """Every recorded source has exactly its current chunks in the index."""
    for rec in store.records.sources(deal):
        got = store.vectors.collection.get(where={"source_id": rec.source_id}, include=["metadatas"])
        current = [m for m in got["metadatas"] if m["content_hash"] == rec.content_hash]
        assert len(current) == rec.chunks, rec.relpath


@pytest.mark.slow
def test_killed_mid_ingest_leaves_a_store_the_next_run_completes(tmp_path: Path) -> None:
    corpus = tmp_path / "big-deal"
    corpus.mkdir()
    text = (EXAMPLES / "acme-logistics" / "2026-09-08-discovery-call.md").read_text()
    for i in range(40):
        (corpus / f"note-{i:02d}.md").write_text(f"# Note {i}\n\n" + text * 3)
    home = tmp_path / "home"
    proc = subprocess.Popen(
        [sys.executable, "-m", "briefgen.cli", "ingest", str(corpus)],
        env=_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    db = home / "briefgen.sqlite3"
    while time.monotonic() < deadline:  # kill once some, not all, sources are in
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=1) as con:
                    n = con.execute("SELECT COUNT(*) FROM sources").fetchone()[0]
                if n >= 3:
                    break
            except sqlite3.Error:
                pass
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store = Store(Settings.from_env(home))
    partial = len(store.records.sources("big-deal"))
    assert 0 < partial < 40
    consistent(store, "big-deal")
    report = ingest_paths(store, [corpus])
    assert report.added == 40 - partial and report.unchanged == partial
    consistent(store, "big-deal")


def test_store_that_cannot_be_written(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deal = tmp_path / "d"
    deal.mkdir()
    (deal / "a.txt").write_text("Ann wants SSO by March 2027.\n")
    ingest_paths(store, [deal])
    (deal / "a.txt").write_text("Ann wants SSO by April 2027.\n")

    def full(self: Records, rec: object) -> None:
        # what Records.transaction makes of sqlite3's "database or disk is full"
        raise StoreError(f"record database {self.path}: database or disk is full")

    monkeypatch.setattr(Records, "put_source", full)
    with pytest.raises(StoreError, match="disk is full"):
        ingest_paths(store, [deal])
    monkeypatch.undo()
    [rec] = store.records.sources("d")
    assert "March" in rec.text  # the old version is intact
    consistent(store, "d")
    ingest_paths(store, [deal])
    [rec] = store.records.sources("d")
    assert "April" in rec.text
    consistent(store, "d")


def test_cli_reports_an_unwritable_output_in_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    subprocess.run(
        [sys.executable, "-m", "briefgen.cli", "ingest", str(EXAMPLES / "brightside-bakery")],
        env=_env(home),
        check=True,
        capture_output=True,
    )
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "briefgen.cli",
            "brief",
            "brightside-bakery",
            "-o",
            str(blocker / "sub" / "b.md"),
        ],
        env=_env(home),
        capture_output=True,
        text=True,
    )
    # Refused before the brief is written, so no version is stored for an output that fails.
    assert r.returncode == 2 and r.stderr.startswith("error: --out") and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and "does not exist" in r.stderr
    assert not list(tmp_path.rglob("*.tmp"))


def test_endpoint_down_in_batch_mode_loses_no_brief(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("briefgen.models.base.ALLOW_MODEL_REQUESTS", True)
    monkeypatch.setattr("briefgen.models.base.time.sleep", lambda s: None)
    monkeypatch.setenv("BRIEFGEN_LLM_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    ingest_paths(store, [EXAMPLES])
    engine = get_engine("openai", Settings.from_env(store.settings.home))
    deals = [d["deal_id"] for d in store.records.list_deals()]
    report = run_batch(store, deals, tmp_path / "out", engine, concurrency=3)
    assert report.count("fallback") == 5 and not report.failed
    assert all(o.engine and o.engine.startswith("extractive (fallback") for o in report.outcomes)


def test_endpoint_down_through_the_api_loses_no_brief(tmp_path: Path) -> None:
    import hashlib
    import hmac
    import json

    env = {
        "BRIEFGEN_ENGINE": "openai",
        "BRIEFGEN_API_KEYS": "k",
        "BRIEFGEN_WEBHOOK_SECRET": "s",
        "BRIEFGEN_LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        "BRIEFGEN_LLM_TIMEOUT": "5",
    }
    server = Served(tmp_path / "home", env, ("--no-ui",)).start()
    url = server.url
    try:
        note = (EXAMPLES / "brightside-bakery" / "call-notes-2026-09-29.txt").read_text()
        body = json.dumps(
            {
                "event_id": "x1",
                "deal_id": "bakery",
                "stage": "won",
                "documents": [{"name": "n.txt", "content": note}],
            }
        ).encode()
        sig = "sha256=" + hmac.new(b"s", body, hashlib.sha256).hexdigest()
        r = httpx.post(f"{url}/v1/webhooks/generic", content=body, headers={"X-Briefgen-Signature": sig})
        job_id = r.json()["results"][0]["job_id"]
        for _ in range(600):
            job = httpx.get(f"{url}/v1/jobs/{job_id}", headers={"Authorization": "Bearer k"}).json()
            if job["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert job["status"] == "done"
        brief = httpx.get(f"{url}/v1/briefs/{job['brief_id']}", headers={"Authorization": "Bearer k"}).json()
        assert brief["brief"]["engine"].startswith("extractive (fallback from openai")
        assert brief["brief"]["stakeholders"]
    finally:
        server.stop()


def test_secrets_stay_out_of_logs_and_errors(tmp_path: Path) -> None:
    deal = tmp_path / "sec"
    deal.mkdir()
    (deal / "n.txt").write_text("Admin password: Hunter2-XYZ for staging.\nCard 4111 1111 1111 1111.\n")
    (deal / "bad.txt").write_bytes(b"\x00password: Hunter2-XYZ\x00")
    home = tmp_path / "home"
    runs = [
        subprocess.run(
            [sys.executable, "-m", "briefgen.cli", "--debug", "ingest", str(deal)],
            env=_env(home),
            capture_output=True,
            text=True,
        ),
        subprocess.run(
            [sys.executable, "-m", "briefgen.cli", "--debug", "brief", "sec", "-f", "json"],
            env=_env(home, BRIEFGEN_LLM_BASE_URL=f"http://127.0.0.1:{free_port()}/v1"),
            capture_output=True,
            text=True,
        ),
    ]
    for r in runs:
        assert "Hunter2" not in r.stdout + r.stderr
        assert "4111 1111" not in r.stdout + r.stderr


def test_read_only_store_is_a_clear_error(tmp_path: Path) -> None:
    # /proc refuses new files even to root: a store that cannot be created or written
    # (`deals` on a data home that does not exist lists nothing and creates nothing.)
    for args in (["ingest", str(EXAMPLES / "brightside-bakery")],):
        r = subprocess.run(
            [sys.executable, "-m", "briefgen.cli", *args],
            capture_output=True,
            text=True,
            env=_env(Path("/proc/briefgen-store")),
        )
        assert r.returncode == 1, r.stderr
        assert r.stderr.startswith("error: cannot open the record database /proc/briefgen-store/")
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1

"""No accepted webhook document is lost: each is on disk before the event is acknowledged and is
ingested exactly once, duplicate event or not; a name that loses its format is refused; a replay
never overwrites what a pending job will read. And the server answers /healthz while a webhook
is being handled and while a brief is being written."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from briefgen.jobs import JobQueue
from briefgen.records import Records

from .live import AUTH, serve, settings, wait_job


def post(url: str, payload: dict[str, Any]) -> httpx.Response:
    raw = json.dumps(payload).encode()
    sig = "sha256=" + hmac.new(b"s", raw, hashlib.sha256).hexdigest()
    return httpx.post(
        f"{url}/v1/webhooks/generic", content=raw, headers={"X-Briefgen-Signature": sig}, timeout=120
    )


def event(event_id: str, deal: str, docs: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "deal_id": deal,
        "stage": "won",
        "documents": [{"name": n, "content": c} for n, c in docs],
    }


def pending_files(home: Path, job_id: int) -> list[Path]:
    records = Records(home / "briefgen.sqlite3")
    try:
        return [Path(p) for p in JobQueue(records).get(job_id).payload.get("ingest", [])]
    finally:
        records.close()


@pytest.mark.slow
def test_fifty_concurrent_events_for_one_deal_ingest_every_document(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with serve(settings(home, workers=1)) as url:
        notes = [
            (f"note-{i:02d}.txt", f"Call {i}: site {i} of Acme goes live in week {i + 1}.") for i in range(50)
        ]
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(lambda i: post(url, event(f"ev-{i}", "fifty", [notes[i]])), range(50)))
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers if a.status_code != 200]
        results = [a.json()["results"][0] for a in answers]
        assert all(r["action"] == "queued" and r["documents"] == 1 for r in results)
        for job_id in sorted({r["job_id"] for r in results}):
            job = wait_job(url, job_id)
            assert job["status"] == "done" and job["error"] is None, job
        records = Records(home / "briefgen.sqlite3")
        try:
            stored = {s.relpath: s.text for s in records.sources("fifty")}
        finally:
            records.close()
        assert sorted(stored) == [n for n, _ in notes]
        assert all(stored[n] == c for n, c in notes)
        # a later event for the deal, with nothing new, makes no further brief
        again = post(url, {"event_id": "ev-late", "deal_id": "fifty", "stage": "won"}).json()["results"][0]
        assert again["action"] == "duplicate"


def test_documents_of_duplicate_events_and_replays(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with serve(settings(home)) as url:  # no worker: jobs stay pending
        first = post(url, event("e1", "replayed", [("notes.txt", "Version A: Ann wants SSO.")]))
        job_id = first.json()["results"][0]["job_id"]
        [file_a] = pending_files(home, job_id)
        assert file_a.read_text() == "Version A: Ann wants SSO."
        # the same event id again, with other content: a replay, nothing of it is written
        replay = post(url, event("e1", "replayed", [("notes.txt", "Version B: forged.")]))
        assert replay.json()["results"][0] == {
            **first.json()["results"][0],
            "action": "duplicate",
            "documents": 0,
        }
        assert file_a.read_text() == "Version A: Ann wants SSO."
        assert not [p for p in (home / "uploads").rglob("*.txt") if p != file_a]
        # a new event for the same deal and stage: a duplicate brief, but its document is kept
        second = post(url, event("e2", "replayed", [("call.txt", "Kickoff is on 2 December.")]))
        assert second.json()["results"][0]["job_id"] == job_id
        files = pending_files(home, job_id)
        assert [p.name for p in files] == ["notes.txt", "call.txt"]
        assert file_a.read_text() == "Version A: Ann wants SSO."
        # two documents with one name in one event are both kept
        third = post(url, event("e3", "replayed", [("x.md", "one"), ("x.md", "two")]))
        assert third.json()["results"][0]["documents"] == 2
        assert sorted(p.read_text() for p in pending_files(home, job_id)[2:]) == ["one", "two"]


def test_a_name_that_loses_its_format_is_refused_a_long_one_keeps_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with serve(settings(home, workers=1)) as url:
        lost = post(url, event("n1", "names", [("Angebot.p\u0064f\u200b", "x"), ("minutes", "y")]))
        assert lost.status_code == 400 and "not a format briefgen reads" in lost.json()["detail"]
        long_name = "m" * 300 + ".txt"
        kept = post(url, event("n2", "names", [(long_name, "Ann wants SSO by March 2027.")]))
        assert kept.status_code == 200
        job = wait_job(url, kept.json()["results"][0]["job_id"])
        assert job["status"] == "done" and job["error"] is None
        records = Records(home / "briefgen.sqlite3")
        try:
            [source] = records.sources("names")
        finally:
            records.close()
        assert source.relpath.endswith(".txt") and "March 2027" in source.text
        # a document that is stored but cannot be read is named on the job, not dropped in silence
        unreadable = post(url, event("n3", "names", [("scan.txt", "\x00\x01\x02" * 40)]))
        job = wait_job(url, unreadable.json()["results"][0]["job_id"])
        assert job["status"] == "done" and "scan.txt" in (job["error"] or "")


def test_healthz_answers_while_a_webhook_and_a_brief_are_at_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import briefgen.api
    import briefgen.worker

    def held(real: Any, entered: threading.Event, release: threading.Event) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            entered.set()
            release.wait(60)  # stands for long work that holds its thread
            return real(*args, **kwargs)

        return run

    parsing, parsed = threading.Event(), threading.Event()
    writing, written = threading.Event(), threading.Event()
    monkeypatch.setattr(briefgen.api, "parse_generic", held(briefgen.api.parse_generic, parsing, parsed))
    monkeypatch.setattr(briefgen.worker, "write_brief", held(briefgen.worker.write_brief, writing, written))
    home = tmp_path / "home"
    with serve(settings(home, workers=1)) as url, ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(post, url, event("h1", "busy", [("n.txt", "Ann wants SSO.")]))
        assert parsing.wait(30)
        try:  # the webhook is mid-parse: the server still answers
            health = httpx.get(f"{url}/healthz", timeout=20)
            assert health.status_code == 200
        finally:
            parsed.set()
        job_id = pending.result(timeout=60).json()["results"][0]["job_id"]
        assert writing.wait(120)
        try:  # a brief is being written: the server still answers, and says so
            health = httpx.get(f"{url}/healthz", timeout=20)
            assert health.status_code == 200 and health.json()["jobs"].get("running") == 1
            job = httpx.get(f"{url}/v1/jobs/{job_id}", headers=AUTH, timeout=20).json()
            assert job["status"] == "running"
        finally:
            written.set()
        assert wait_job(url, job_id)["status"] == "done"

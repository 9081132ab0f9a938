"""Heavy work in worker processes: `briefgen serve` runs its workers as supervised child
processes, the API waits for the jobs it starts, a child that dies is replaced and its job
finished, and no signal to the server leaves a worker behind."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from briefgen.config import Settings
from briefgen.errors import BriefgenError, ConfigError, IngestError, StoreFull, UnreadableSource, rebuilt
from briefgen.jobs import JobQueue
from briefgen.processes import process_count
from briefgen.records import Records
from briefgen.waiting import outcome, wait_for

from .conftest import EXAMPLES
from .served import Served, children, gone_within

AUTH = {"Authorization": "Bearer k"}
ENV = {"BRIEFGEN_API_KEYS": "k", "BRIEFGEN_ENGINE": "extractive"}


# --- without a server ----------------------------------------------------------------------


def test_a_recorded_failure_is_raised_again_as_its_type() -> None:
    full = rebuilt("StoreFull", "no space left to store n.txt")
    assert type(full) is StoreFull and str(full) == "no space left to store n.txt"
    unreadable = rebuilt("UnreadableSource", "/srv/home/uploads/d/scan.txt: looks like binary data")
    assert isinstance(unreadable, UnreadableSource) and isinstance(unreadable, IngestError)
    assert unreadable.path.endswith("scan.txt") and unreadable.reason == "looks like binary data"
    assert type(rebuilt(None, "KeyError: 'x'")) is BriefgenError
    assert type(rebuilt("NoSuchError", "x")) is BriefgenError


def test_waiting_for_a_job(tmp_path: Path) -> None:
    records = Records(tmp_path / "r.sqlite3")
    queue = JobQueue(records)
    try:
        job = queue.enqueue("brief", "d1", {})
        assert wait_for(queue, job.id, 0.2) is None  # nobody took it
        claimed = queue.claim(owner="test/1/t/w0")
        assert claimed is not None and claimed.worker == "test/1/t/w0"
        queue.fail(job.id, "engine 'x' is not one of ...", owner="test/1/t/w0", error_type="ConfigError")
        failed = wait_for(queue, job.id, 5)
        assert failed is not None and failed.public()["error_type"] == "ConfigError"
        with pytest.raises(ConfigError, match="engine 'x'"):
            outcome(failed)
        other = queue.enqueue("ingest", "d1", {})
        queue.claim(("ingest",), owner="test/1/t/u0")
        queue.finish(other.id, owner="test/1/t/u0", result={"added": 2})
        done = wait_for(queue, other.id, 5)
        assert done is not None and outcome(done).result == {"added": 2}
        assert done.public()["worker"] == "test/1/t/u0"  # kept after the lease ended
    finally:
        records.close()


def test_embedded_chroma_has_one_worker_process(tmp_path: Path) -> None:
    local = Settings.from_env(tmp_path)
    assert [process_count(local, n) for n in (0, 1, 3)] == [0, 1, 1]
    served = replace(local, chroma_url="http://127.0.0.1:8000")
    assert [process_count(served, n) for n in (0, 1, 3)] == [0, 1, 3]


# --- against `briefgen serve` --------------------------------------------------------------


def _big_note(path: Path, kb: int) -> Path:
    text = (EXAMPLES / "acme-logistics" / "2026-09-08-discovery-call.md").read_text()
    lines = [f"Weekly sync {n}: the rollout covers depot {n} this quarter." for n in range(kb * 1024 // 60)]
    path.write_text(text + "\n" + "\n".join(lines) + "\n")
    return path


def _job(url: str, job_id: int) -> dict[str, Any]:
    return dict(httpx.get(f"{url}/v1/jobs/{job_id}", headers=AUTH, timeout=30).json())


def _pid(job: dict[str, Any]) -> int:
    # a worker is named host/pid/token/name
    return int(str(job["worker"]).split("/")[1])


def _worker_pids(server: Served, count: int = 1, timeout: float = 60) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = children(server.pid)
        if len(pids) >= count:
            return pids
        time.sleep(0.2)
    raise AssertionError(f"no worker process under {server.pid}: {server.tail()}")


def open_files(pid: int) -> list[str]:
    out = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):  # closed meanwhile
            out.append(os.readlink(fd))
    return out


def _upload(url: str, path: Path) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/deals/big/documents",
        headers=AUTH,
        files=[("files", (path.name, path.read_bytes()))],
        timeout=120,
    )


@pytest.mark.slow
def test_a_heavy_ingest_runs_in_a_worker_process_while_healthz_answers(tmp_path: Path) -> None:
    # --workers 3 with embedded Chroma: one worker process opens the local index
    server = Served(tmp_path / "home", {**ENV, "BRIEFGEN_WAIT": "1"}, ("--no-ui", "--workers", "3")).start()
    try:
        [worker] = _worker_pids(server)
        health = httpx.get(f"{server.url}/healthz", timeout=30).json()
        assert health["worker_mode"] == "process" and health["workers"] == 1
        queued = _upload(server.url, _big_note(tmp_path / "syncs.txt", 150))
        assert queued.status_code == 202, queued.text  # not done within BRIEFGEN_WAIT: its job id
        job_id = queued.json()["job_id"]
        answered_while_running = 0
        for _ in range(3000):
            job = _job(server.url, job_id)
            if job["status"] in ("done", "failed"):
                break
            ok = httpx.get(f"{server.url}/healthz", timeout=30).status_code == 200
            answered_while_running += ok and job["status"] == "running"
            time.sleep(0.1)
        assert job["status"] == "done", job
        assert answered_while_running > 0
        assert _pid(job) == worker and worker != server.pid
        assert job["result"]["added"] == 1 and job["result"]["skipped"] == []
        assert children(server.pid) == [worker]  # still exactly one
        # the local vector index is open in the worker process, never in the API's
        index = str(server.home / "chroma")
        assert any(f.startswith(index) for f in open_files(worker))
        assert not any(f.startswith(index) for f in open_files(server.pid))
        # a typed failure in the worker is the status the API gave when it ran inline
        bad = httpx.post(f"{server.url}/v1/deals/big/briefs?wait=true&engine=nope", headers=AUTH, timeout=60)
        assert bad.status_code == 400 and "nope" in bad.json()["detail"]
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name)
def test_stopping_the_server_leaves_no_worker_process(tmp_path: Path, sig: signal.Signals) -> None:
    server = Served(tmp_path / "home", ENV, ("--no-ui", "--workers", "1")).start()
    try:
        workers = _worker_pids(server)
        server.send(sig)
        assert gone_within(workers, 60) == [], server.tail()
    finally:
        server.kill()


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_its_job_finished(tmp_path: Path) -> None:
    server = Served(tmp_path / "home", {**ENV, "BRIEFGEN_WAIT": "1"}, ("--no-ui",)).start()
    try:
        _worker_pids(server)
        job_id = _upload(server.url, _big_note(tmp_path / "syncs.txt", 150)).json()["job_id"]
        for _ in range(600):
            job = _job(server.url, job_id)
            if job["status"] == "running":
                break
            time.sleep(0.1)
        assert job["status"] == "running", job
        killed = _pid(job)
        os.kill(killed, signal.SIGKILL)
        for _ in range(3000):
            job = _job(server.url, job_id)
            if job["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert job["status"] == "done" and job["attempts"] == 2, job
        replacement = _pid(job)
        assert replacement != killed and replacement in children(server.pid)
        assert job["result"]["added"] == 1
        assert httpx.get(f"{server.url}/healthz", timeout=30).json()["workers"] == 1
    finally:
        server.stop()


@pytest.mark.slow
def test_thread_mode_keeps_the_workers_in_the_server(tmp_path: Path) -> None:
    note = EXAMPLES / "brightside-bakery" / "call-notes-2026-09-29.txt"
    with_threads = Served(tmp_path / "home", {**ENV, "BRIEFGEN_WORKER_MODE": "thread"}, ("--no-ui",)).start()
    try:
        assert httpx.get(f"{with_threads.url}/healthz", timeout=30).json()["worker_mode"] == "thread"
        r = httpx.post(
            f"{with_threads.url}/v1/deals/bakery/documents",
            headers=AUTH,
            files=[("files", (note.name, note.read_bytes()))],
            timeout=120,
        )
        assert r.status_code == 200 and r.json()["added"] == 1
        assert _pid(_job(with_threads.url, r.json()["job_id"])) == with_threads.pid
        assert children(with_threads.pid) == []
    finally:
        with_threads.stop()

"""Past one machine, end to end: PostgreSQL, a Chroma server, two API-only replicas and two
worker processes, each with its own data home. A burst of signed webhooks goes to both
replicas; one replica and one worker (while it holds a job) are killed with SIGKILL mid-burst;
the sender retries what was not acknowledged on the other replica, as a CRM does. In the end
every deal has exactly one brief: none lost, none doubled."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from briefgen.database import normalise_url

from .llm_server import free_port
from .servers import answered, stop_process

SECRET = "scale-secret"
EVENTS = 500
KILL_AFTER = 150  # acknowledgements before one replica and one worker die
# Deliveries from this one on are sent only once they are dead: acknowledgement is fast enough
# that the whole burst could otherwise be answered before a worker holds a job to be killed in.
SENT_AFTER_KILL = 300
# A short note: the embedding model is most of a worker's time (about 0.8 s for a 1,000-character
# chunk on a busy 2-core machine), and this test is about losing nothing, not about throughput.
NOTE = (
    "Maria Gomez (owner) wants online ordering live before the spring menu.\n"
    "We promised two training sessions at no extra cost.\n"
)


class Node:
    """One briefgen process (an API replica or a worker) with its own data home."""

    def __init__(self, root: Path, name: str, args: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.home = root / name
        self.log = root / f"{name}.log"
        full = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")}
        full.update(env, BRIEFGEN_HOME=str(self.home))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "briefgen.cli", *args],
            env=full,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("wb"),
        )

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        stop_process(self.proc, 30)

    def tail(self) -> str:
        return f"--- {self.name}\n" + (
            self.log.read_text(errors="replace")[-1500:] if self.log.exists() else ""
        )


def wait_healthy(url: str, node: Node, timeout: float = 90) -> None:
    why = answered(f"{url}/healthz", node.proc, timeout)
    if why is not None:
        raise AssertionError(f"{node.name} {why}\n{node.tail()}")


def body(i: int) -> bytes:
    return json.dumps(
        {
            "event_id": f"ev-{i}",
            "deal_id": f"deal-{i:04d}",
            "stage": "won",
            "account": f"Account {i}",
            "documents": [{"name": "call-notes.txt", "content": f"Call notes, Account {i}.\n{NOTE}"}],
        }
    ).encode()


@pytest.mark.slow
def test_replicas_and_workers_lose_and_double_nothing_when_killed(
    tmp_path: Path, postgres: Any, chroma_server: Any
) -> None:
    db_url = postgres.new_database()
    env = {
        "BRIEFGEN_DATABASE_URL": db_url,
        "BRIEFGEN_CHROMA_URL": chroma_server.url,
        "BRIEFGEN_WEBHOOK_SECRET": SECRET,
        "BRIEFGEN_API_KEYS": "k",
        "BRIEFGEN_ENGINE": "extractive",
        # Short, so the killed worker's job is taken over within the test.
        "BRIEFGEN_JOB_LEASE": "10",
    }
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    apis = [
        Node(tmp_path, f"api{n}", ["serve", "--no-ui", "--workers", "0", "--port", str(p)], env)
        for n, p in enumerate(ports)
    ]
    workers = [Node(tmp_path, f"worker{n}", ["worker"], env) for n in range(2)]
    nodes = apis + workers
    engine = create_engine(normalise_url(db_url))
    try:
        for url, node in zip(urls, apis, strict=True):
            wait_healthy(url, node)

        acked: dict[int, int] = {}  # event -> job id
        retried = 0
        lock = threading.Lock()
        killed = threading.Event()
        client = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=32))

        def send(i: int) -> None:
            nonlocal retried
            if i >= SENT_AFTER_KILL:
                killed.wait(timeout=180)
            data = body(i)
            sig = "sha256=" + hmac.new(SECRET.encode(), data, hashlib.sha256).hexdigest()
            order = [i % 2, 1 - i % 2]
            for attempt in range(6):
                target = 0 if killed.is_set() and attempt > 0 else order[attempt % 2]
                try:
                    r = client.post(
                        f"{urls[target]}/v1/webhooks/generic",
                        content=data,
                        headers={"X-Briefgen-Signature": sig},
                    )
                except httpx.TransportError:
                    with lock:
                        retried += 1
                    time.sleep(0.05)
                    continue
                assert r.status_code == 200, r.text
                [result] = r.json()["results"]
                with lock:
                    acked[i] = int(result["job_id"])
                return

        def killer() -> None:
            while len(acked) < KILL_AFTER:
                time.sleep(0.02)
            # Kill the worker while it holds a job, so that job must be taken over.
            owner = f"%/{workers[1].proc.pid}/%"
            deadline = time.monotonic() + 60
            with engine.connect() as conn:
                while time.monotonic() < deadline:
                    held = conn.execute(
                        text("SELECT count(*) FROM jobs WHERE status='running' AND lease_owner LIKE :o"),
                        {"o": owner},
                    ).scalar_one()
                    conn.rollback()
                    if held:
                        break
                    time.sleep(0.02)
            apis[1].kill()
            workers[1].kill()
            killed.set()

        kill_thread = threading.Thread(target=killer)
        kill_thread.start()
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(send, range(EVENTS)))
        kill_thread.join()
        assert killed.is_set()
        assert apis[1].proc.returncode == -signal.SIGKILL and workers[1].proc.returncode == -signal.SIGKILL

        # Every delivery was acknowledged, by one replica or (after a retry) the other.
        assert sorted(acked) == list(range(EVENTS))
        assert retried > 0  # some deliveries did hit the dead replica

        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            counts = httpx.get(f"{urls[0]}/healthz", timeout=10).json()["jobs"]
            if not counts.get("pending") and not counts.get("running"):
                break
            assert workers[0].proc.poll() is None, workers[0].tail()
            time.sleep(1)
        else:
            raise AssertionError(f"jobs not finished: {counts}\n" + "\n".join(n.tail() for n in nodes))

        with engine.connect() as conn:
            per_deal = dict(
                conn.execute(text("SELECT deal_id, count(*) FROM briefs GROUP BY deal_id")).all()  # type: ignore[arg-type]
            )
            jobs = conn.execute(text("SELECT status, count(*) FROM jobs GROUP BY status")).all()
            taken_over = conn.execute(text("SELECT count(*) FROM jobs WHERE attempts > 1")).scalar_one()
            sources = conn.execute(text("SELECT count(*) FROM sources")).scalar_one()
        assert dict(jobs) == {"done": EVENTS}  # type: ignore[arg-type]
        assert set(per_deal) == {f"deal-{i:04d}" for i in range(EVENTS)}  # none lost
        assert set(per_deal.values()) == {1}  # none doubled
        assert taken_over >= 1  # the killed worker's job was finished by the other
        assert sources == EVENTS
        # Each acknowledged event's job wrote that deal's brief.
        brief = httpx.get(f"{urls[0]}/v1/jobs/{acked[0]}", headers={"Authorization": "Bearer k"}).json()
        assert brief["status"] == "done" and brief["brief_id"]
    finally:
        for node in nodes:
            node.stop()
        engine.dispose()


@pytest.mark.slow
def test_a_worker_process_reports_health_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """What the compose health check and `docker compose stop` rely on."""
    env = {"BRIEFGEN_ENGINE": "extractive"}

    def check() -> subprocess.CompletedProcess[str]:
        full = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")}
        full["BRIEFGEN_HOME"] = str(tmp_path / "worker")
        return subprocess.run(
            [sys.executable, "-m", "briefgen.cli", "worker", "--check"],
            env=full,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert check().returncode == 1  # nothing running yet
    node = Node(tmp_path, "worker", ["worker"], env)
    try:
        deadline = time.monotonic() + 120
        while not (node.home / "worker.alive").exists():
            assert node.proc.poll() is None and time.monotonic() < deadline, node.tail()
            time.sleep(0.2)
        ok = check()
        assert ok.returncode == 0 and "worker alive" in ok.stdout
        node.proc.send_signal(signal.SIGTERM)
        assert node.proc.wait(timeout=60) == 0
        gone = check()
        assert gone.returncode == 1 and "no live worker" in gone.stderr
    finally:
        node.stop()

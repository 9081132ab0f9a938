"""Bounded webhook work: an API replica verifies, stores and records webhooks on at most
`WEBHOOK_THREADS` threads and holds at most `POOL_SIZE` database connections, however many
webhooks arrive at once; the rest wait their turn and are all acknowledged, and /healthz
answers meanwhile."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg

from briefgen.api import WEBHOOK_THREADS
from briefgen.database import POOL_SIZE

from .cli_run import clean_env
from .llm_server import free_port

SECRET = "threads-secret"
SENDERS = 3 * WEBHOOK_THREADS


def _post(url: str, event: int) -> httpx.Response:
    body = json.dumps(
        {"event_id": f"ev-{event}", "deal_id": "held", "stage": "won", "account": "Held"}
    ).encode()
    sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return httpx.post(
        f"{url}/v1/webhooks/generic", content=body, headers={"X-Briefgen-Signature": sig}, timeout=120
    )


def test_webhooks_use_a_bounded_number_of_threads_and_connections(tmp_path: Path, postgres: Any) -> None:
    assert WEBHOOK_THREADS < POOL_SIZE  # other requests keep connections of their own
    db_url = postgres.new_database()
    name = db_url.rsplit("/", 1)[1]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = clean_env(tmp_path / "home", BRIEFGEN_WEBHOOK_SECRET=SECRET, BRIEFGEN_API_KEYS="k")
    env["BRIEFGEN_DATABASE_URL"] = db_url
    proc = subprocess.Popen(
        [sys.executable, "-m", "briefgen.cli", "serve", "--no-ui", "--workers", "0", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "serve.log").open("wb"),
    )
    holder = psycopg.connect(postgres.url(name))
    watcher = psycopg.connect(postgres.url(name), autocommit=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            try:
                httpx.get(f"{url}/healthz", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert _post(url, 0).json()["results"][0]["action"] == "queued"
        # Hold the deal's row: every webhook for it now waits inside its transaction.
        holder.execute("SELECT 1 FROM deals WHERE deal_id = 'held' FOR UPDATE")

        def sessions() -> tuple[int, int]:
            """(server sessions waiting on the held row, all the server's sessions)."""
            row = watcher.execute(
                "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), count(*) FROM pg_stat_activity "
                "WHERE datname = %s AND pid NOT IN (%s, %s)",
                (name, holder.info.backend_pid, watcher.info.backend_pid),
            ).fetchone()
            assert row is not None
            return int(row[0]), int(row[1])

        with ThreadPoolExecutor(SENDERS) as pool:
            answers = [pool.submit(_post, url, n) for n in range(1, SENDERS + 1)]
            waiting = 0
            deadline = time.monotonic() + 60
            while waiting < WEBHOOK_THREADS and time.monotonic() < deadline:
                waiting = sessions()[0]
                time.sleep(0.05)
            seen = []
            for _ in range(20):  # the bound holds while SENDERS webhooks are in flight
                seen.append(sessions())
                time.sleep(0.05)
            assert max(w for w, _ in seen) == WEBHOOK_THREADS, seen
            assert max(c for _, c in seen) <= POOL_SIZE, seen
            assert not any(a.done() for a in answers)
            health = httpx.get(f"{url}/healthz", timeout=30)
            assert health.status_code == 200 and health.json()["jobs"] == {"pending": 1}
            holder.rollback()
            results = [a.result() for a in answers]
        assert [r.status_code for r in results] == [200] * SENDERS
        # The same deal and stage with nothing new: one job, every later event a duplicate of it.
        assert {r.json()["results"][0]["action"] for r in results} == {"duplicate"}
        events = watcher.execute("SELECT count(*) FROM events").fetchone()
        assert events is not None and events[0] == SENDERS + 1
    finally:
        holder.close()
        watcher.close()
        proc.terminate()
        proc.wait(timeout=30)

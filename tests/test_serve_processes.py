"""`briefgen serve --processes N`: an API-only node on more than one core. The processes share
one port and one record: webhooks answered by any of them are recorded once, and a replay
answered by another process is a duplicate."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from .cli_run import clean_env, run
from .llm_server import free_port

SECRET = "processes-secret"


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        out.update(int(c) for c in (task / "children").read_text().split())
    return out


def _signed(event: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {"event_id": f"ev-{event}", "deal_id": f"deal-{event}", "stage": "won", "account": f"Account {event}"}
    ).encode()
    return body, {
        "X-Briefgen-Signature": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    }


@pytest.mark.slow
def test_serve_processes_answers_from_more_than_one_process(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = clean_env(tmp_path / "home", BRIEFGEN_WEBHOOK_SECRET=SECRET, BRIEFGEN_API_KEYS="k")
    args = ["serve", "--no-ui", "--workers", "0", "--processes", "2", "--port", str(port)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "briefgen.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "serve.log").open("wb"),
    )
    try:
        answered: set[int] = set()
        deadline = time.monotonic() + 120
        while len(answered) < 2 and time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()

            def health(_: int) -> int | None:
                try:  # a new connection each time: the kernel hands each to either process
                    return int(httpx.get(f"{url}/healthz", timeout=10).json()["process"])
                except httpx.HTTPError:
                    return None

            with ThreadPoolExecutor(8) as pool:
                answered |= {pid for pid in pool.map(health, range(16)) if pid is not None}
            time.sleep(0.1)
        assert len(answered) == 2, answered
        assert answered <= _children(proc.pid)  # uvicorn's worker processes, not the supervisor
        assert proc.pid not in answered

        # Every webhook recorded once, whichever process took it; replays are duplicates.
        def deliver(event: int) -> tuple[str, int]:
            body, headers = _signed(event)
            r = httpx.post(f"{url}/v1/webhooks/generic", content=body, headers=headers, timeout=30)
            assert r.status_code == 200, r.text
            [result] = r.json()["results"]
            return result["action"], int(result["job_id"])

        with ThreadPoolExecutor(8) as pool:
            first = list(pool.map(deliver, range(40)))
            again = list(pool.map(deliver, range(40)))
        assert {a for a, _ in first} == {"queued"}
        assert len({j for _, j in first}) == 40
        assert again == [("duplicate", j) for _, j in first]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode == 0, (tmp_path / "serve.log").read_text()


def test_serve_processes_is_for_an_api_only_node(tmp_path: Path) -> None:
    port = str(free_port())
    with_form = run(tmp_path / "home", "serve", "--workers", "0", "--processes", "2", "--port", port)
    assert with_form.returncode == 2 and "--no-ui" in with_form.stderr
    with_workers = run(
        tmp_path / "home", "serve", "--no-ui", "--workers", "1", "--processes", "2", "--port", port
    )
    assert with_workers.returncode == 2 and "--workers 0" in with_workers.stderr

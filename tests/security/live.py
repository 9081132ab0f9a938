"""The API served by uvicorn on 127.0.0.1 inside the test process, so that a test can replace a
function the server calls (to hold it mid-request, or to fail as a full disk would)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from briefgen.api import create_app
from briefgen.config import Settings

from ..llm_server import free_port

KEY = "k"
AUTH = {"Authorization": f"Bearer {KEY}"}


def settings(home: Path, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "home": home,
        "api_keys": (KEY,),
        "hubspot_secret": "hs",
        "pipedrive_user": "pd",
        "pipedrive_password": "pw",
        "salesforce_org_ids": ("00D000000000001AAA",),
        "salesforce_token": "sf-path-secret",
        "webhook_secret": "s",
        "engine": "extractive",
        "workers": 0,
        # In this process, so that a test can replace what a worker calls.
        "worker_mode": "thread",
    }
    base.update(overrides)
    return Settings(**base)


@contextmanager
def serve(config: Settings) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(config), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def wait_job(url: str, job_id: int, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = httpx.get(f"{url}/v1/jobs/{job_id}", headers=AUTH).json()
        if job["status"] in ("done", "failed"):
            return dict(job)
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")

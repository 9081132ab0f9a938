"""Waiting for a job someone is waiting on: the API's upload ingest and `?wait=true` briefs,
the form's Generate, Save and uploads. The work runs in a worker (a process of its own by
default); the caller only polls the record, so its event loop and interpreter stay free.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio

from .errors import rebuilt
from .jobs import Job, JobQueue

FIRST_POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 0.5


def wait_for(
    queue: JobQueue, job_id: int, timeout: float, on_poll: Callable[[Job], None] | None = None
) -> Job | None:
    """The job once it is done or failed for good; None while it is still pending or running
    after `timeout` seconds (a failure that will be retried is not the end)."""
    deadline = time.monotonic() + timeout
    pause = FIRST_POLL_SECONDS
    while True:
        job = queue.get(job_id)
        if job.status in ("done", "failed"):
            return job
        if on_poll is not None:
            on_poll(job)
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        # Short first polls answer a quick job quickly; later ones keep the record quiet.
        time.sleep(min(pause, left))
        pause = min(MAX_POLL_SECONDS, pause * 1.5)


async def wait_async(queue: JobQueue, job_id: int, timeout: float) -> Job | None:
    """`wait_for` for a request handler: it sleeps on the event loop between polls, so a
    request waiting minutes for its job holds no thread of the server's pool (other requests,
    /healthz among them, need those)."""
    deadline = time.monotonic() + timeout
    pause = FIRST_POLL_SECONDS
    while True:
        job = await anyio.to_thread.run_sync(queue.get, job_id)
        if job.status in ("done", "failed"):
            return job
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        await anyio.sleep(min(pause, left))
        pause = min(MAX_POLL_SECONDS, pause * 1.5)


def outcome(job: Job) -> Job:
    """The finished job, or its failure raised again as the error it was in the worker."""
    if job.status == "failed":
        raise rebuilt(job.error_type, job.error or f"job {job.id} failed")
    return job

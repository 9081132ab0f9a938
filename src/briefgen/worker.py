"""The background worker: takes persisted jobs, writes briefs, delivers them to a callback."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import httpx

from .errors import BriefgenError, NotFound
from .generate import write_brief
from .ingestion import ingest_paths
from .jobs import Job, JobQueue
from .render import render
from .store import Store

log = logging.getLogger(__name__)
DELIVERY_ATTEMPTS = 5


def _retry_in(job: Job) -> float | None:
    """Seconds until a failed brief job runs again (backoff), or None after the third attempt."""
    return 2.0**job.attempts if job.attempts < 3 else None


class Worker:
    def __init__(self, store: Store, queue: JobQueue, transport: httpx.BaseTransport | None = None) -> None:
        self.store = store
        self.queue = queue
        self.transport = transport

    def run_once(self) -> bool:
        job = self.queue.claim()
        if job is None:
            return False
        try:
            if job.kind == "brief":
                self._brief(job)
            elif job.kind == "deliver":
                self._deliver(job)
            else:
                self.queue.fail(job.id, f"unknown job kind {job.kind}")
        except NotFound as exc:
            self.queue.fail(job.id, str(exc))
        except BriefgenError as exc:
            self.queue.fail(job.id, str(exc), _retry_in(job))
        except Exception as exc:  # a bug must not kill the worker; the job keeps the reason
            log.exception("job %s failed", job.id)
            self.queue.fail(job.id, f"{type(exc).__name__}: {exc}", _retry_in(job))
        return True

    def _brief(self, job: Job) -> None:
        files = [Path(f) for f in job.payload.get("ingest") or []]
        note = None
        if files:
            report = ingest_paths(self.store, files, job.deal_id)
            self.queue.settle(job.id, self.store.records.sources_hash(job.deal_id))
            if report.skipped:  # said on the job, never dropped in silence
                note = "not ingested: " + "; ".join(
                    f"{Path(s.path).name}: {s.reason}" for s in report.skipped
                )
        _, record = write_brief(self.store, job.deal_id, self.store.settings.engine)
        assert record is not None
        self.queue.finish(job.id, record.id, note)
        if self.store.settings.callback_url:
            self.queue.enqueue("deliver", job.deal_id, {"brief_id": record.id})

    def _deliver(self, job: Job) -> None:
        url = self.store.settings.callback_url
        if not url:
            self.queue.finish(job.id)
            return
        record = self.store.records.get_brief(int(job.payload["brief_id"]))
        body = {
            "deal_id": record.deal_id,
            "brief_id": record.id,
            "version": record.version,
            "brief": record.brief.model_dump(mode="json"),
            "markdown": render(record.brief, "md"),
        }
        try:
            with httpx.Client(timeout=15, transport=self.transport) as client:
                resp = client.post(url, json=body)
            resp.raise_for_status()
        except httpx.HTTPError as exc:
            reason = f"callback failed: {exc}"
            if job.attempts >= DELIVERY_ATTEMPTS:
                self.queue.fail(job.id, reason)
            else:
                self.queue.fail(job.id, reason, retry_in=min(60.0, 0.5 * 2**job.attempts))
            return
        self.queue.finish(job.id, record.id)

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            if not self.run_once():
                self.queue.wake.wait(0.5)
                self.queue.wake.clear()

"""The worker: takes persisted jobs and does the heavy work: writes briefs (for webhooks, the
API and the form), saves the form's edited versions, ingests uploads, delivers briefs to a
callback.

It runs in child processes of `briefgen serve` (`processes.py`, the default), as threads inside
it (`--worker-mode thread`), or as its own process, `briefgen worker`, beside any number of
API-only replicas (`serve --workers 0`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import httpx

from .deletion import delete_deal
from .editing import save_version
from .errors import BriefgenError, ConfigError, LeaseLost, NotFound
from .generate import write_brief
from .ingestion import ingest_paths
from .jobs import BRIEF_KINDS, Job, JobQueue, worker_id
from .render import render
from .schema import Brief
from .store import Store
from .uploads import LARGE, SMALL, run_upload

log = logging.getLogger(__name__)
DELIVERY_ATTEMPTS = 5
IDLE_POLL_SECONDS = 0.5
# What a brief worker takes: briefs, deliveries, the form's edited versions and deletions (the
# worker holds the vector index, so a deal's passages are removed where they are kept).
WORK_KINDS = (*BRIEF_KINDS, "save", "delete")
UPLOAD_KINDS = (SMALL, LARGE)
# Upload lanes beside the general ones: small uploads have a lane that large ones never take.
SMALL_LANE = (SMALL,)
# Errors that another attempt cannot mend: the job fails at once, with its type.
_FINAL = (NotFound, ConfigError)


def _retry_in(job: Job) -> float | None:
    """Seconds until a failed brief job runs again (backoff), or None after the third attempt."""
    return 2.0**job.attempts if job.attempts < 3 else None


class Worker:
    def __init__(
        self,
        store: Store,
        queue: JobQueue,
        transport: httpx.BaseTransport | None = None,
        name: str = "w0",
        kinds: tuple[str, ...] = WORK_KINDS,
    ) -> None:
        self.store = store
        self.queue = queue
        self.transport = transport
        self.owner = worker_id(name)
        self.kinds = kinds

    def run_once(self, kinds: tuple[str, ...] | None = None) -> bool:
        job = self.queue.claim(kinds or self.kinds, owner=self.owner)
        if job is None:
            return False
        # Someone may be waiting on uploads and edits: they fail at once rather than later.
        retry = _retry_in(job) if job.kind in BRIEF_KINDS else None
        with self._holding(job):
            try:
                if job.kind == "brief":
                    self._brief(job)
                elif job.kind == "deliver":
                    self._deliver(job)
                elif job.kind == "save":
                    self._save(job)
                elif job.kind == "delete":
                    gone = delete_deal(self.store, job.deal_id)
                    self.queue.finish(job.id, owner=self.owner, result=asdict(gone))
                elif job.kind in UPLOAD_KINDS:
                    run_upload(self.store, self.queue, job, self.owner)
                else:
                    self.queue.fail(job.id, f"unknown job kind {job.kind}", owner=self.owner)
            except LeaseLost as exc:
                log.warning("%s", exc)
            except _FINAL as exc:
                self.queue.fail(job.id, str(exc), owner=self.owner, error_type=type(exc).__name__)
            except BriefgenError as exc:
                self.queue.fail(job.id, str(exc), retry, owner=self.owner, error_type=type(exc).__name__)
            except Exception as exc:  # a bug must not kill the worker; the job keeps the reason
                log.exception("job %s failed", job.id)
                self.queue.fail(job.id, f"{type(exc).__name__}: {exc}", retry, owner=self.owner)
        return True

    @contextmanager
    def _holding(self, job: Job) -> Iterator[None]:
        """Renew the job's lease while the work runs, so only a dead or stuck worker loses it."""
        done = threading.Event()

        def renew() -> None:
            while not done.wait(self.queue.lease_seconds / 3):
                try:
                    if not self.queue.renew(job.id, self.owner):
                        log.warning("job %s: lease lost to another worker", job.id)
                        return
                except BriefgenError as exc:  # the database is briefly away: try again next beat
                    log.warning("job %s: could not renew the lease: %s", job.id, exc)

        beat = threading.Thread(target=renew, name=f"briefgen-lease-{job.id}", daemon=True)
        beat.start()
        try:
            yield
        finally:
            done.set()
            beat.join(timeout=5)

    def _documents(self, job: Job) -> list[Path]:
        """The job's files. The copy carried in the job is the one that counts: a file the
        accepting replica stored on a disk this worker cannot see, or that does not hold that
        text (the replica does not fsync it), is written from it, under this node's data home
        (same name, so the same source)."""
        contents: dict[str, str] = job.payload.get("contents") or {}
        files: list[Path] = []
        for name in job.payload.get("ingest") or []:
            path = Path(name)
            if name in contents:
                data = contents[name].encode("utf-8")
                if not path.exists():
                    path = self.store.settings.home / "uploads" / job.deal_id / path.parent.name / path.name
                if not path.exists() or path.read_bytes() != data:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_name(f".{path.name}.{self.owner.rsplit('/', 1)[-1]}.part")
                    tmp.write_bytes(data)
                    tmp.replace(path)
            files.append(path)
        return files

    def _brief(self, job: Job) -> None:
        files = self._documents(job)
        note = None
        if files:
            report = ingest_paths(self.store, files, job.deal_id)
            self.queue.settle(job.id, self.store.records.sources_hash(job.deal_id))
            if report.skipped:  # said on the job, never dropped in silence
                note = "not ingested: " + "; ".join(
                    f"{Path(s.path).name}: {s.reason}" for s in report.skipped
                )
        engine = job.payload.get("engine") or self.store.settings.engine
        brief, _ = write_brief(self.store, job.deal_id, engine, save=False)
        self.queue.complete_brief(
            job,
            self.owner,
            brief,
            self.store.records.sources_hash(job.deal_id),
            # Briefs someone asked for and waits on (`?wait=true`, the form) are answered, not
            # delivered, as when they were written inline.
            deliver=bool(self.store.settings.callback_url) and job.payload.get("deliver", True),
            note=note,
            created_by=job.payload.get("user"),
        )

    def _save(self, job: Job) -> None:
        """The form's edited brief as a new version (grounded and summarised again)."""
        base = self.store.records.get_brief(int(job.payload["base"]))
        draft = Brief.model_validate_json(job.payload["draft"])
        _, record = save_version(self.store, base, draft, job.payload.get("user"))
        self.queue.finish(job.id, record.id, owner=self.owner)

    def _deliver(self, job: Job) -> None:
        url = self.store.settings.callback_url
        if not url:
            self.queue.finish(job.id, owner=self.owner)
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
                self.queue.fail(job.id, reason, owner=self.owner)
            else:
                self.queue.fail(job.id, reason, retry_in=min(60.0, 0.5 * 2**job.attempts), owner=self.owner)
            return
        self.queue.finish(job.id, record.id, owner=self.owner)

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                busy = self.run_once()
            except BriefgenError as exc:  # the database is away: wait and try again
                log.warning("worker %s: %s", self.owner, exc)
                busy = False
                stop.wait(2)
            if not busy:
                self.queue.wake.wait(IDLE_POLL_SECONDS)
                self.queue.wake.clear()


def prepare(store: Store) -> None:
    """Load what every job needs (the engine, the embedding model, the section classifier, the
    vector store client) before taking the first job: on a busy machine that takes tens of
    seconds, which would otherwise count against the first job's lease."""
    from .engines import get_engine
    from .sections import model

    get_engine(store.settings.engine, store.settings)
    store.embedder.embed(["ready"])
    model()
    _ = store.vectors


def one_blas_thread() -> None:
    """One BLAS thread per process that runs workers. The embedding model multiplies small
    matrices; on a busy machine OpenBLAS's threads wait for each other (measured on 2 shared
    cores: a short note embedded in 0.36-1.1 s with two threads, 0.04 s with one). Workers get
    their parallelism from more workers instead."""
    import numpy  # noqa: F401  (loads OpenBLAS, so the limit below finds it)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def upload_lanes(general: int) -> list[tuple[str, ...]]:
    """The kinds each upload thread takes: `general` lanes take any upload, one more takes
    small ones only, so one person's 20 MB transcript does not hold up another's call notes."""
    return [UPLOAD_KINDS] * max(1, general) + [SMALL_LANE]


class WorkerPool:
    """N brief worker threads and the upload lanes over one store; what a worker process runs
    (`briefgen worker`, a child of `serve`) and `serve --worker-mode thread` embeds."""

    def __init__(self, store: Store, queue: JobQueue, threads: int, prefix: str = "w") -> None:
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(
                target=Worker(store, queue, name=f"{prefix}{i}").run_forever,
                args=(self.stop,),
                name=f"briefgen-worker-{i}",
                daemon=True,
            )
            for i in range(threads)
        ]
        self.lanes = [
            threading.Thread(
                target=Worker(store, queue, name=f"{prefix}u{n}", kinds=kinds).run_forever,
                args=(self.stop,),
                name=f"briefgen-upload-{n}",
                daemon=True,
            )
            for n, kinds in enumerate(upload_lanes(threads) if threads else [])
        ]
        self.queue = queue

    def start(self) -> WorkerPool:
        if self.threads:
            one_blas_thread()
        resumed = self.queue.resume_interrupted()
        if resumed:
            log.warning("resumed %d job(s) interrupted by a restart", resumed)
        for thread in [*self.threads, *self.lanes]:
            thread.start()
        return self

    def alive(self) -> int:
        return sum(t.is_alive() for t in self.threads)

    def shutdown(self, timeout: float = 30) -> None:
        """Stop taking jobs; jobs in progress finish (or their leases run out elsewhere)."""
        self.stop.set()
        self.queue.wake.set()
        for t in [*self.threads, *self.lanes]:
            t.join(timeout=timeout)

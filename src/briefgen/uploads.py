"""Files uploaded through the web form, ingested as background jobs with progress.

The form only records the deal, copies the files into the data home and queues a job; worker
threads ingest. Small uploads have a worker that large ones never occupy, so one person's
20 MB transcript does not hold up another person's three call notes.
"""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import BriefgenError, ConfigError
from .ingest import check_deal_id
from .ingestion import FileDone, IngestReport, ingest_paths
from .jobs import Job, JobQueue
from .schema import Deal
from .store import Store

log = logging.getLogger(__name__)

SMALL = "ingest"
LARGE = "ingest-large"
SMALL_BYTES = 2 * 1024 * 1024  # uploads up to this size never wait behind a larger one
_MULTIPART_ROOM = 1024 * 1024  # a form upload's body carries its file and some framing


def upload_limit(settings: Settings) -> int:
    """The largest file the form takes: what ingest reads, and what fits in one request body."""
    limit = settings.max_file_bytes
    if settings.max_body_bytes > 0:
        limit = min(limit, max(1, settings.max_body_bytes - _MULTIPART_ROOM))
    return limit


def size_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.0f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def deal_from_fields(fields: dict[str, str]) -> Deal:
    """A deal from the form's typed CRM fields; each bad field named."""
    deal_id = (fields.get("deal_id") or "").strip()
    if not deal_id:
        raise ConfigError("type a deal id (letters, digits, '-', '_' or '.')")
    check_deal_id(deal_id)
    data: dict[str, Any] = {"deal_id": deal_id}
    for key in ("account", "currency", "close_date", "owner", "stage"):
        value = (fields.get(key) or "").strip()
        if value:
            data[key] = value
    amount = (fields.get("amount") or "").strip()
    if amount:
        try:
            data["amount"] = float(amount.replace(",", ""))
        except ValueError:
            raise ConfigError(f"amount '{amount}' is not a number") from None
    return Deal.model_validate(data)


def queue_upload(
    store: Store, queue: JobQueue, fields: dict[str, str], files: list[Path], user: str | None
) -> Job | None:
    """Save the deal and queue its files for ingest; None when there are no files. A file over
    the limit is refused here, before anything is stored, with the limit named."""
    deal = deal_from_fields(fields)
    limit = upload_limit(store.settings)
    sizes = {}
    for f in files:
        size = f.stat().st_size
        if size > limit:
            raise ConfigError(
                f"'{f.name}' is {size_text(size)}: files over {size_text(limit)} are refused "
                "(BRIEFGEN_MAX_FILE_BYTES)"
            )
        sizes[f] = size
    store.records.upsert_deal(deal)
    if not files:
        return None
    # The job reads its own copies: the form's upload folder is not kept across restarts.
    folder = store.settings.home / "uploads" / deal.deal_id / uuid.uuid4().hex[:12]
    folder.mkdir(parents=True, exist_ok=True)
    kept = []
    for f in files:
        target = folder / f.name
        shutil.copyfile(f, target)
        kept.append(str(target))
    total = sum(sizes.values())
    return queue.enqueue(
        SMALL if total <= SMALL_BYTES else LARGE,
        deal.deal_id,
        {"files": kept, "names": [f.name for f in files], "bytes": total, "user": user},
    )


def report_text(deal_id: str, report: IngestReport) -> str:
    lines = [
        f"Deal **{deal_id}**: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped."
    ]
    for s in report.skipped:
        lines.append(f"- skipped **{Path(s.path).name}**: {s.reason.replace(s.path, Path(s.path).name)}")
    return "\n".join(lines)


@dataclass
class _Tracker:
    """Turns ingest's callbacks into the job's progress row."""

    queue: JobQueue
    job: Job
    files: int
    current: str = ""
    index: int = 0
    last: dict[str, int] = field(default_factory=dict)

    def step(self, what: str, done: int, total: int) -> None:
        if what.startswith("reading "):
            self.index += 1
            self.current = what.removeprefix("reading ")
            note = f"file {self.index} of {self.files} ({self.current}): reading"
        else:
            note = f"file {self.index} of {self.files} ({self.current}): {done:,} of {total:,} {what}"
        self.queue.set_progress(self.job.id, done, total, note)

    def file_done(self, done: FileDone) -> None:
        self.queue.set_progress(
            self.job.id,
            done.files_done,
            done.files_total,
            f"{done.files_done} of {done.files_total} files done",
        )


def run_upload(store: Store, queue: JobQueue, job: Job) -> None:
    files = [Path(f) for f in job.payload.get("files") or []]
    tracker = _Tracker(queue, job, len(files))
    queue.set_progress(job.id, 0, len(files), "starting")
    report = ingest_paths(store, files, job.deal_id, progress=tracker.file_done, step=tracker.step)
    queue.set_progress(job.id, len(files), len(files), "done", report=report_text(job.deal_id, report))
    queue.finish(job.id)


class UploadWorkers:
    """Threads that ingest uploads: `general` take any upload, one more takes small ones only."""

    def __init__(self, store: Store, queue: JobQueue, general: int = 1) -> None:
        self.store = store
        self.queue = queue
        self.lanes = [(SMALL, LARGE)] * max(1, general) + [(SMALL,)]
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def run_once(self, kinds: tuple[str, ...] = (SMALL, LARGE)) -> bool:
        job = self.queue.claim(kinds)
        if job is None:
            return False
        try:
            run_upload(self.store, self.queue, job)
        except BriefgenError as exc:
            self.queue.fail(job.id, str(exc))
        except Exception as exc:  # a bug must not kill the worker; the job keeps the reason
            log.exception("upload job %s failed", job.id)
            self.queue.fail(job.id, f"{type(exc).__name__}: {exc}")
        return True

    def _loop(self, kinds: tuple[str, ...]) -> None:
        while not self.stop.is_set():
            if not self.run_once(kinds):
                self.stop.wait(0.3)

    def start(self) -> None:
        for n, kinds in enumerate(self.lanes):
            t = threading.Thread(target=self._loop, args=(kinds,), name=f"briefgen-upload-{n}", daemon=True)
            t.start()
            self.threads.append(t)

    def shutdown(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=5)

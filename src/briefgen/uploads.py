"""Files uploaded through the web form or the API, ingested as background jobs with progress.

The form and the API only record the deal, store the files in the data home and queue a job;
workers ingest (`worker.py`). Small uploads have a lane that large ones never occupy, so one
person's 20 MB transcript does not hold up another person's three call notes.
"""

from __future__ import annotations

import base64
import logging
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import ConfigError, without_paths
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
    for f in files:
        size = f.stat().st_size
        if size > limit:
            raise ConfigError(
                f"'{f.name}' is {size_text(size)}: files over {size_text(limit)} are refused "
                "(BRIEFGEN_MAX_FILE_BYTES)"
            )
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
        kept.append(target)
    return queue_files(store, queue, deal.deal_id, kept, user)


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


def shared_database(settings: Settings) -> bool:
    """Whether workers on other machines may take this node's jobs: only through a database
    server, never through the SQLite file in a data home."""
    return bool(settings.database_url) and not str(settings.database_url).startswith("sqlite")


def queue_files(
    store: Store, queue: JobQueue, deal_id: str, files: list[Path], user: str | None, requeue: bool = False
) -> Job:
    """Queue files already stored in this node's data home for ingest. With a shared database
    their bytes travel in the job too, for a worker on a machine that cannot read this disk.
    `requeue`: once ingested, brief the deal again for each stage it was briefed for."""
    total = sum(f.stat().st_size for f in files)
    payload: dict[str, Any] = {
        "files": [str(f) for f in files],
        "names": [f.name for f in files],
        "bytes": total,
        "user": user,
        "requeue": requeue,
    }
    if shared_database(store.settings):
        payload["contents_b64"] = {str(f): base64.b64encode(f.read_bytes()).decode("ascii") for f in files}
    return queue.enqueue(SMALL if total <= SMALL_BYTES else LARGE, deal_id, payload)


def _local(store: Store, job: Job, name: str) -> Path:
    """The job's file on this node: where the accepting node stored it, else written from the
    copy carried in the job under this node's data home (same name, so the same source)."""
    path = Path(name)
    carried = (job.payload.get("contents_b64") or {}).get(name)
    if path.exists() or carried is None:
        return path
    path = store.settings.home / "uploads" / job.deal_id / path.parent.name / path.name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    tmp.write_bytes(base64.b64decode(carried))
    tmp.replace(path)
    return path


def rebrief(store: Store, queue: JobQueue, deal_id: str) -> list[int]:
    """New documents for a deal already briefed for a stage: a new brief job per stage."""
    requeued = []
    for stage, _ in queue.stages_for(deal_id):
        job = queue.retrigger(deal_id, stage, store.records.sources_hash(deal_id) + "0")
        if job:
            requeued.append(job.id)
    return requeued


def run_upload(store: Store, queue: JobQueue, job: Job, owner: str | None = None) -> None:
    files = [_local(store, job, f) for f in job.payload.get("files") or []]
    tracker = _Tracker(queue, job, len(files))
    queue.set_progress(job.id, 0, len(files), "starting")
    report = ingest_paths(store, files, job.deal_id, progress=tracker.file_done, step=tracker.step)
    result = {
        "added": report.added,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "skipped": [
            {"file": Path(s.path).name, "reason": without_paths(s.reason, store.settings.home)}
            for s in report.skipped
        ],
        "requeued_jobs": rebrief(store, queue, job.deal_id) if job.payload.get("requeue") else [],
    }
    queue.set_progress(job.id, len(files), len(files), "done", report=report_text(job.deal_id, report))
    queue.finish(job.id, owner=owner, result=result)

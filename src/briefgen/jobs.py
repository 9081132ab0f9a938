"""Persisted jobs: every accepted request to write or deliver a brief is a row in the record
before it is acknowledged, so nothing accepted is lost on a crash or restart.

Any number of workers, in any number of processes and machines, share one queue. A worker
claims a job (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's write lock serialises claims)
and holds it by a lease it renews while it works. A job whose lease ran out (its worker died
or hung) is claimed by the next worker. A worker's results count only while it still holds the
lease: the brief and the job's completion are one transaction, so a job finishes once, with
one brief, whoever ran it.

Idempotency: a CRM event id is recorded once (a retried delivery finds its earlier job), and a
deal's trigger for a stage (say, closed-won) makes one brief unless the deal's documents changed.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Connection, RowMapping, and_, bindparam, func, or_, select

from . import tables as t
from .database import Database, db_now
from .errors import LeaseLost, NotFound
from .records import BriefRecord, DealUpsert, Records, now
from .schema import Brief, Deal

log = logging.getLogger(__name__)

# A job claimed this many times without finishing (its workers keep dying on it) is failed
# rather than handed to yet another worker.
MAX_CLAIMS = 5
# What the brief worker takes; uploads from the form have workers of their own.
BRIEF_KINDS = ("brief", "deliver")
# Jobs claimed without a named worker (form uploads, run in the serving process) keep their
# lease this long; if that process dies, its next start on this host resumes them.
UNNAMED_LEASE = 24 * 3600.0
_PROCESS = f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"


def worker_id(name: str) -> str:
    """A lease owner: host, process id, a token for this process's lifetime, and a name."""
    return f"{_PROCESS}/{name}"


@dataclass
class Progress:
    """How far a running job is, in the job's own unit, and what it is doing."""

    done: int
    total: int
    note: str
    report: str | None
    updated_at: str

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.done / self.total) if self.total else None


@dataclass
class Job:
    id: int
    kind: str
    deal_id: str
    status: str
    attempts: int
    payload: dict[str, Any]
    brief_id: int | None
    error: str | None
    created_at: str
    updated_at: str
    lease_owner: str | None = None
    worker: str | None = None
    result: dict[str, Any] | None = None
    error_type: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "deal_id": self.deal_id,
            "status": self.status,
            "attempts": self.attempts,
            "brief_id": self.brief_id,
            "error": self.error,
            "error_type": self.error_type,
            "worker": self.worker,
            "result": self.result,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def _job(row: RowMapping) -> Job:
    return Job(
        id=row["id"],
        kind=row["kind"],
        deal_id=row["deal_id"],
        status=row["status"],
        attempts=row["attempts"],
        payload=json.loads(row["payload"]),
        brief_id=row["brief_id"],
        error=row["error"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        lease_owner=row["lease_owner"],
        worker=row["worker"],
        result=json.loads(row["result"]) if row["result"] else None,
        error_type=row["error_type"],
    )


_j = t.jobs


def _held(job_id: int, owner: str | None) -> Any:
    """The job is running under this owner's lease (owner None: any holder, for callers
    that run a job outside the worker loop)."""
    cond = and_(_j.c.id == job_id, _j.c.status == "running")
    return cond if owner is None else and_(cond, _j.c.lease_owner == owner)


class _Replay(Exception):
    """An event id recorded before: the transaction that met it rolls back."""


class _Writes:
    """The statements `trigger` runs, built once per queue: a webhook's acknowledgement then
    spends no time building them."""

    def __init__(self, db: Database) -> None:
        tr, ev = t.triggers, t.events
        deal: BindParameter[str] = bindparam("b_deal")
        stage: BindParameter[str] = bindparam("b_stage")
        self.trigger_lock = (
            select(tr.c.job_id, tr.c.sources_hash)
            .where(tr.c.deal_id == deal, tr.c.stage == stage)
            .with_for_update()
        )
        self.pending = (
            select(_j)
            .where(_j.c.kind == "brief", _j.c.deal_id == deal, _j.c.status == "pending")
            .order_by(_j.c.id.desc())
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        self.merge_files = (
            _j.update()
            .where(_j.c.id == bindparam("b_id"))
            .values(payload=bindparam("payload"), updated_at=bindparam("stamp"))
        )
        self.new_job = (
            _j.insert()
            .values(
                kind=bindparam("kind"),
                deal_id=bindparam("deal_id"),
                status="pending",
                payload=bindparam("payload"),
                created_at=bindparam("stamp"),
                updated_at=bindparam("stamp"),
            )
            .returning(_j.c.id)
        )
        trigger: dict[str, Any] = {
            "deal_id": bindparam("b_deal"),
            "stage": bindparam("b_stage"),
            "job_id": bindparam("job_id"),
            "sources_hash": bindparam("sources_hash"),
        }
        self.trigger_insert = tr.insert().values(**trigger)
        self.trigger_update = (
            tr.update()
            .where(tr.c.deal_id == deal, tr.c.stage == stage)
            .values(job_id=bindparam("job_id"), sources_hash=bindparam("sources_hash"))
        )
        upsert = db.insert(tr).values(**trigger)
        self.trigger_upsert = upsert.on_conflict_do_update(
            index_elements=["deal_id", "stage"],
            set_={"job_id": upsert.excluded.job_id, "sources_hash": upsert.excluded.sources_hash},
        )
        self.event = (
            db.insert(ev)
            .values(
                source=bindparam("source"),
                event_id=bindparam("event_id"),
                deal_id=bindparam("deal_id"),
                job_id=bindparam("job_id"),
                received_at=bindparam("received_at"),
            )
            .on_conflict_do_nothing(index_elements=["source", "event_id"])
            .returning(ev.c.event_id)
        )


class JobQueue:
    def __init__(self, records: Records, lease_seconds: float = 30.0) -> None:
        self.records = records
        self.db = records.db
        self.lease_seconds = lease_seconds
        # Wakes workers in this process at once; workers elsewhere poll.
        self.wake = threading.Event()
        self._writes = _Writes(self.db)
        self._upsert_deal = DealUpsert(self.db)

    # --- accepting work ------------------------------------------------------------

    def enqueue(self, kind: str, deal_id: str, payload: dict[str, Any] | None = None) -> Job:
        with self.db.write() as conn:
            job_id = self._insert(conn, kind, deal_id, payload or {})
        self.wake.set()
        return self.get(job_id)

    def _insert(
        self, conn: Connection, kind: str, deal_id: str, payload: dict[str, Any], stamp: str | None = None
    ) -> int:
        stamp = stamp or now()
        values = {"kind": kind, "deal_id": deal_id, "payload": json.dumps(payload), "stamp": stamp}
        return int(conn.execute(self._writes.new_job, values).scalar_one())

    def trigger(
        self,
        source: str,
        event_id: str,
        deal_id: str,
        stage: str,
        sources_hash: str | None = None,
        payload: dict[str, Any] | None = None,
        deal: Deal | None = None,
        files: list[str] | None = None,
        contents: dict[str, str] | None = None,
    ) -> tuple[Job, str]:
        """Record a CRM event and the work it asks for, in one transaction with the deal's record.

        Returns (job, action): "duplicate" for an event id seen before (a replay: nothing of it
        is recorded again) or for a second event for the same deal and stage with nothing new;
        else "queued". An event's documents are always ingested, once: they join the deal's
        pending brief job, or make a new one when none is pending. `contents` (path -> text)
        travels in the job, so a worker on another machine can ingest the files too.

        A webhook's acknowledgement waits for this, so it costs few round trips: the deal
        (inserted, or locked and merged), the pending job or the trigger, the job, the trigger,
        and the event, which is written last: a replay is found there and rolled back whole.
        The deal's row lock orders events for one deal; without a deal, the trigger's does."""
        w = self._writes

        def run(conn: Connection) -> tuple[Job | int, str]:
            merged_hash = self._upsert_deal(conn, deal) if deal is not None else None
            current_hash = sources_hash or merged_hash or self.records.sources_hash(deal_id, conn)
            job, action = self._work_for(
                conn, source, deal_id, stage, current_hash, payload, files, contents, deal is None
            )
            job_id = job if isinstance(job, int) else job.id
            recorded = conn.execute(
                w.event,
                {
                    "source": source,
                    "event_id": event_id,
                    "deal_id": deal_id,
                    "job_id": job_id,
                    "received_at": now(),
                },
            ).first()
            if recorded is None:
                raise _Replay
            return job, action

        try:
            job, action = self.db.retrying(run)
        except _Replay:
            with self.db.read() as conn:
                seen = conn.execute(
                    select(t.events.c.job_id).where(
                        t.events.c.source == source, t.events.c.event_id == event_id
                    )
                ).one()
            return self.get(int(seen.job_id)), "duplicate"
        if action == "queued":
            self.wake.set()
        return (job if isinstance(job, Job) else self.get(job)), action

    def _work_for(
        self,
        conn: Connection,
        source: str,
        deal_id: str,
        stage: str,
        sources_hash: str,
        payload: dict[str, Any] | None,
        files: list[str] | None,
        contents: dict[str, str] | None,
        lock_trigger: bool = True,
    ) -> tuple[Job | int, str]:
        """The job for a trigger: the pending one the files join, the current one (an id: a
        duplicate), or a new one."""
        w = self._writes
        keys = {"b_deal": deal_id, "b_stage": stage}
        current = None
        if lock_trigger or not files:
            current = conn.execute(w.trigger_lock, keys).first()
        stamp = now()
        if files:
            pending = conn.execute(w.pending, keys).mappings().first()
            if pending is not None:  # not claimed yet: the job ingests these files too
                merged = json.loads(pending["payload"])
                merged["ingest"] = [*(merged.get("ingest") or []), *files]
                if contents:
                    merged["contents"] = {**(merged.get("contents") or {}), **contents}
                text = json.dumps(merged)
                conn.execute(w.merge_files, {"b_id": pending["id"], "payload": text, "stamp": stamp})
                job = _job(pending)
                job.payload, job.updated_at = merged, stamp
                return job, "queued"
        elif current is not None and current.sources_hash == sources_hash:
            return int(current.job_id), "duplicate"
        body: dict[str, Any] = {**(payload or {}), "ingest": files or [], "trigger": f"{source}:{stage}"}
        if contents:
            body["contents"] = contents
        job_id = self._insert(conn, "brief", deal_id, body, stamp)
        values = {**keys, "job_id": job_id, "sources_hash": sources_hash}
        if not lock_trigger and files:
            # Another event for this deal waits on the deal's row lock, so an upsert is safe here.
            conn.execute(w.trigger_upsert, values)
        elif current is None:
            # Another replica inserting the same (deal, stage) now makes this fail; the retry
            # then finds its row.
            conn.execute(w.trigger_insert, values)
        else:
            conn.execute(w.trigger_update, values)
        return Job(job_id, "brief", deal_id, "pending", 0, body, None, None, stamp, stamp), "queued"

    def settle(self, job_id: int, sources_hash: str) -> None:
        """After a job ingested its files: the triggers it serves record what the deal now holds,
        so a later event with nothing new is a duplicate."""
        with self.db.write() as conn:
            conn.execute(
                t.triggers.update().where(t.triggers.c.job_id == job_id).values(sources_hash=sources_hash)
            )

    def stages_for(self, deal_id: str) -> list[tuple[str, str]]:
        tr = t.triggers
        with self.db.read() as conn:
            rows = conn.execute(select(tr.c.stage, tr.c.sources_hash).where(tr.c.deal_id == deal_id)).all()
        return [(r.stage, r.sources_hash) for r in rows]

    def retrigger(self, deal_id: str, stage: str, sources_hash: str) -> Job | None:
        """New documents for a deal that was already briefed for `stage`: brief it again."""
        tr = t.triggers
        with self.db.write() as conn:
            row = conn.execute(
                select(tr.c.sources_hash)
                .where(tr.c.deal_id == deal_id, tr.c.stage == stage)
                .with_for_update()
            ).first()
            if row is None or row.sources_hash == sources_hash:
                return None
            job_id = self._insert(conn, "brief", deal_id, {"trigger": f"documents:{stage}"})
            conn.execute(
                tr.update()
                .where(tr.c.deal_id == deal_id, tr.c.stage == stage)
                .values(job_id=job_id, sources_hash=sources_hash)
            )
        self.wake.set()
        return self.get(job_id)

    def get(self, job_id: int) -> Job:
        with self.db.read() as conn:
            row = conn.execute(select(_j).where(_j.c.id == job_id)).mappings().first()
        if row is None:
            raise NotFound(f"no job with id {job_id}")
        return _job(row)

    # --- doing work ----------------------------------------------------------------

    def claim(self, kinds: tuple[str, ...] = BRIEF_KINDS, owner: str | None = None) -> Job | None:
        """The oldest job of these kinds that is due, or running under a lease that ran out;
        now held by `owner` for `lease_seconds` (unnamed: for `UNNAMED_LEASE`)."""
        lease = self.lease_seconds if owner else UNNAMED_LEASE
        owner = owner or worker_id("main")
        due = or_(
            and_(_j.c.status == "pending", _j.c.not_before <= db_now()),
            and_(_j.c.status == "running", or_(_j.c.lease_until.is_(None), _j.c.lease_until < db_now())),
        )
        with self.db.write() as conn:
            row = conn.execute(
                select(_j.c.id, _j.c.status, _j.c.attempts, _j.c.lease_owner)
                .where(due, _j.c.kind.in_(kinds))
                .order_by(_j.c.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return None
            if row.status == "running":
                log.warning("job %s: lease of %s ran out; taking it over", row.id, row.lease_owner)
            if row.attempts >= MAX_CLAIMS:
                conn.execute(
                    _j.update()
                    .where(_j.c.id == row.id)
                    .values(
                        status="failed",
                        error=f"abandoned: {row.attempts} workers took it and none finished",
                        lease_owner=None,
                        lease_until=None,
                        updated_at=now(),
                    )
                )
                claimed = None
            else:
                conn.execute(
                    _j.update()
                    .where(_j.c.id == row.id)
                    .values(
                        status="running",
                        attempts=_j.c.attempts + 1,
                        lease_owner=owner,
                        lease_until=db_now() + lease,
                        worker=owner,
                        updated_at=now(),
                    )
                )
                claimed = int(row.id)
        if claimed is None:
            return self.claim(kinds, owner)
        return self.get(claimed)

    def renew(self, job_id: int, owner: str) -> bool:
        """Extend the lease; False when it was lost (another worker holds the job now)."""
        with self.db.write() as conn:
            cur = conn.execute(
                _j.update().where(_held(job_id, owner)).values(lease_until=db_now() + self.lease_seconds)
            )
        return bool(cur.rowcount)

    def complete_brief(
        self,
        job: Job,
        owner: str | None,
        brief: Brief,
        sources_hash: str,
        deliver: bool = False,
        note: str | None = None,
        created_by: str | None = None,
    ) -> BriefRecord:
        """Store the brief and mark the job done in one transaction, only while `owner` still
        holds the job; a delivery job, if asked for, is queued in the same transaction."""

        def run(conn: Connection) -> BriefRecord:
            held = conn.execute(select(_j.c.id).where(_held(job.id, owner)).with_for_update()).first()
            if held is None:
                raise LeaseLost(f"job {job.id} is no longer held by this worker; its brief is discarded")
            record = self.records.insert_brief(conn, brief, sources_hash, created_by)
            self._done(conn, job.id, record.id, note)
            if deliver:
                self._insert(conn, "deliver", job.deal_id, {"brief_id": record.id})
            return record

        record = self.db.retrying(run)
        if deliver:
            self.wake.set()
        return record

    def finish(
        self,
        job_id: int,
        brief_id: int | None = None,
        note: str | None = None,
        owner: str | None = None,
        result: dict[str, Any] | None = None,
    ) -> bool:
        """Done; `note` says what was done only in part (a document that could not be read),
        `result` what the job produced (an ingest's counts)."""
        with self.db.write() as conn:
            held = conn.execute(select(_j.c.id).where(_held(job_id, owner)).with_for_update()).first()
            if held is None:
                return False
            self._done(conn, job_id, brief_id, note, result)
        return True

    def _done(
        self,
        conn: Connection,
        job_id: int,
        brief_id: int | None,
        note: str | None = None,
        result: dict[str, Any] | None = None,
    ) -> None:
        conn.execute(
            _j.update()
            .where(_j.c.id == job_id)
            .values(
                status="done",
                brief_id=func.coalesce(brief_id, _j.c.brief_id),
                error=note,
                error_type=None,
                result=json.dumps(result) if result is not None else None,
                lease_owner=None,
                lease_until=None,
                updated_at=now(),
            )
        )

    def fail(
        self,
        job_id: int,
        error: str,
        retry_in: float | None = None,
        owner: str | None = None,
        error_type: str | None = None,
    ) -> bool:
        """Failed for good, or (retry_in) due again in that many seconds. Ignored when `owner`
        no longer holds the job. `error_type` names the error's class (`errors.rebuilt`)."""
        values: dict[str, Any] = {
            "error": error,
            "error_type": error_type,
            "lease_owner": None,
            "lease_until": None,
            "updated_at": now(),
        }
        if retry_in is None:
            values["status"] = "failed"
        else:
            values.update(status="pending", not_before=db_now() + retry_in)
        cond = _j.c.id == job_id if owner is None else _held(job_id, owner)
        with self.db.write() as conn:
            cur = conn.execute(_j.update().where(cond).values(**values))
        return bool(cur.rowcount)

    def release(self, job_id: int, owner: str) -> bool:
        """Give a job back untouched (a worker told to stop before it started the work)."""
        with self.db.write() as conn:
            cur = conn.execute(
                _j.update()
                .where(_held(job_id, owner))
                .values(
                    status="pending",
                    attempts=_j.c.attempts - 1,
                    lease_owner=None,
                    lease_until=None,
                    updated_at=now(),
                )
            )
        return bool(cur.rowcount)

    def resume_interrupted(self) -> int:
        """Jobs held by a process of this host that no longer runs go back to the queue now,
        rather than when their lease runs out (a restarted single-node install resumes at once).
        Jobs of other hosts are left to their leases."""
        host = socket.gethostname()
        with self.db.write() as conn:
            rows = conn.execute(
                select(_j.c.id, _j.c.lease_owner).where(
                    _j.c.status == "running", _j.c.lease_owner.like(f"{host}/%")
                )
            ).all()
            dead = [r.id for r in rows if not _alive(str(r.lease_owner))]
            if dead:
                conn.execute(
                    _j.update()
                    .where(_j.c.id.in_(dead), _j.c.status == "running")
                    .values(status="pending", lease_owner=None, lease_until=None, updated_at=now())
                )
        return len(dead)

    def set_progress(self, job_id: int, done: int, total: int, note: str, report: str | None = None) -> None:
        p = t.job_progress
        stmt = self.db.insert(p).values(
            job_id=job_id, done=done, total=total, note=note, report=report, updated_at=now()
        )
        with self.db.write() as conn:
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["job_id"],
                    set_={
                        "done": stmt.excluded.done,
                        "total": stmt.excluded.total,
                        "note": stmt.excluded.note,
                        "report": func.coalesce(stmt.excluded.report, p.c.report),
                        "updated_at": stmt.excluded.updated_at,
                    },
                )
            )

    def progress(self, job_id: int) -> Progress | None:
        p = t.job_progress
        with self.db.read() as conn:
            row = conn.execute(
                select(p.c.done, p.c.total, p.c.note, p.c.report, p.c.updated_at).where(p.c.job_id == job_id)
            ).first()
        return Progress(**dict(row._mapping)) if row else None

    def counts(self) -> dict[str, int]:
        with self.db.read() as conn:
            rows = conn.execute(select(_j.c.status, func.count()).group_by(_j.c.status)).all()
        return {r[0]: int(r[1]) for r in rows}


def _alive(owner: str) -> bool:
    """Whether the process named in a lease owner on this host still runs."""
    parts = owner.split("/")
    if len(parts) < 3 or not parts[1].isdigit():
        return False
    pid, token = int(parts[1]), parts[2]
    if pid == os.getpid():
        return f"{parts[0]}/{pid}/{token}" == _PROCESS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

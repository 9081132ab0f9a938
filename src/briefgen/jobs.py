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

from sqlalchemy import Connection, RowMapping, and_, func, or_, select

from . import tables as t
from .database import db_now
from .errors import LeaseLost, NotFound
from .records import BriefRecord, Records, now
from .schema import Brief

log = logging.getLogger(__name__)

# A job claimed this many times without finishing (its workers keep dying on it) is failed
# rather than handed to yet another worker.
MAX_CLAIMS = 5
_PROCESS = f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"


def worker_id(name: str) -> str:
    """A lease owner: host, process id, a token for this process's lifetime, and a name."""
    return f"{_PROCESS}/{name}"


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

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "deal_id": self.deal_id,
            "status": self.status,
            "attempts": self.attempts,
            "brief_id": self.brief_id,
            "error": self.error,
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
    )


_j = t.jobs


def _held(job_id: int, owner: str | None) -> Any:
    """The job is running under this owner's lease (owner None: any holder, for callers
    that run a job outside the worker loop)."""
    cond = and_(_j.c.id == job_id, _j.c.status == "running")
    return cond if owner is None else and_(cond, _j.c.lease_owner == owner)


class JobQueue:
    def __init__(self, records: Records, lease_seconds: float = 30.0) -> None:
        self.records = records
        self.db = records.db
        self.lease_seconds = lease_seconds
        # Wakes workers in this process at once; workers elsewhere poll.
        self.wake = threading.Event()

    # --- accepting work ------------------------------------------------------------

    def enqueue(self, kind: str, deal_id: str, payload: dict[str, Any] | None = None) -> Job:
        with self.db.write() as conn:
            job_id = self._insert(conn, kind, deal_id, payload or {})
        self.wake.set()
        return self.get(job_id)

    def _insert(self, conn: Connection, kind: str, deal_id: str, payload: dict[str, Any]) -> int:
        stamp = now()
        return int(
            conn.execute(
                _j.insert()
                .values(
                    kind=kind,
                    deal_id=deal_id,
                    status="pending",
                    payload=json.dumps(payload),
                    created_at=stamp,
                    updated_at=stamp,
                )
                .returning(_j.c.id)
            ).scalar_one()
        )

    def trigger(
        self,
        source: str,
        event_id: str,
        deal_id: str,
        stage: str,
        sources_hash: str,
        payload: dict[str, Any] | None = None,
    ) -> tuple[Job, bool]:
        """One brief per CRM event and per (deal, stage); returns (job, created)."""
        ev, tr = t.events, t.triggers

        def run(conn: Connection) -> tuple[int, bool]:
            seen = conn.execute(
                select(ev.c.job_id).where(ev.c.source == source, ev.c.event_id == event_id)
            ).first()
            if seen is not None:
                return int(seen.job_id), False
            current = conn.execute(
                select(tr.c.job_id, tr.c.sources_hash)
                .where(tr.c.deal_id == deal_id, tr.c.stage == stage)
                .with_for_update()
            ).first()
            created = current is None or current.sources_hash != sources_hash
            if created:
                job_id = self._insert(
                    conn, "brief", deal_id, {**(payload or {}), "trigger": f"{source}:{stage}"}
                )
                if current is None:
                    # Another replica inserting the same (deal, stage) now makes this fail;
                    # the retry then finds its row.
                    conn.execute(
                        tr.insert().values(
                            deal_id=deal_id, stage=stage, job_id=job_id, sources_hash=sources_hash
                        )
                    )
                else:
                    conn.execute(
                        tr.update()
                        .where(tr.c.deal_id == deal_id, tr.c.stage == stage)
                        .values(job_id=job_id, sources_hash=sources_hash)
                    )
            else:
                assert current is not None
                job_id = int(current.job_id)
            # The same event delivered to two replicas at once: the second insert fails,
            # its whole transaction (job included) rolls back, and the retry finds the event.
            conn.execute(
                ev.insert().values(
                    source=source, event_id=event_id, deal_id=deal_id, job_id=job_id, received_at=now()
                )
            )
            return job_id, created

        job_id, created = self.db.retrying(run)
        if created:
            self.wake.set()
        return self.get(job_id), created

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

    def claim(self, owner: str | None = None) -> Job | None:
        """The oldest job that is due, or running under a lease that ran out; now held by
        `owner` for `lease_seconds`."""
        owner = owner or worker_id("main")
        due = or_(
            and_(_j.c.status == "pending", _j.c.not_before <= db_now()),
            and_(_j.c.status == "running", or_(_j.c.lease_until.is_(None), _j.c.lease_until < db_now())),
        )
        with self.db.write() as conn:
            row = conn.execute(
                select(_j.c.id, _j.c.status, _j.c.attempts, _j.c.lease_owner)
                .where(due)
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
                        lease_until=db_now() + self.lease_seconds,
                        updated_at=now(),
                    )
                )
                claimed = int(row.id)
        if claimed is None:
            return self.claim(owner)
        return self.get(claimed)

    def renew(self, job_id: int, owner: str) -> bool:
        """Extend the lease; False when it was lost (another worker holds the job now)."""
        with self.db.write() as conn:
            cur = conn.execute(
                _j.update().where(_held(job_id, owner)).values(lease_until=db_now() + self.lease_seconds)
            )
        return bool(cur.rowcount)

    def complete_brief(
        self, job: Job, owner: str | None, brief: Brief, sources_hash: str, deliver: bool = False
    ) -> BriefRecord:
        """Store the brief and mark the job done in one transaction, only while `owner` still
        holds the job; a delivery job, if asked for, is queued in the same transaction."""

        def run(conn: Connection) -> BriefRecord:
            held = conn.execute(select(_j.c.id).where(_held(job.id, owner)).with_for_update()).first()
            if held is None:
                raise LeaseLost(f"job {job.id} is no longer held by this worker; its brief is discarded")
            record = self.records.insert_brief(conn, brief, sources_hash)
            self._done(conn, job.id, record.id)
            if deliver:
                self._insert(conn, "deliver", job.deal_id, {"brief_id": record.id})
            return record

        record = self.db.retrying(run)
        if deliver:
            self.wake.set()
        return record

    def finish(self, job_id: int, brief_id: int | None = None, owner: str | None = None) -> bool:
        with self.db.write() as conn:
            held = conn.execute(select(_j.c.id).where(_held(job_id, owner)).with_for_update()).first()
            if held is None:
                return False
            self._done(conn, job_id, brief_id)
        return True

    def _done(self, conn: Connection, job_id: int, brief_id: int | None) -> None:
        conn.execute(
            _j.update()
            .where(_j.c.id == job_id)
            .values(
                status="done",
                brief_id=func.coalesce(brief_id, _j.c.brief_id),
                error=None,
                lease_owner=None,
                lease_until=None,
                updated_at=now(),
            )
        )

    def fail(self, job_id: int, error: str, retry_in: float | None = None, owner: str | None = None) -> bool:
        """Failed for good, or (retry_in) due again in that many seconds. Ignored when `owner`
        no longer holds the job."""
        values: dict[str, Any] = {
            "error": error,
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

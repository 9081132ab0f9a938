"""Persisted jobs: every accepted request to write or deliver a brief is a row in SQLite before
it is acknowledged, so nothing accepted is lost on a crash or restart.

Idempotency: a CRM event id is recorded once (a retried delivery finds its earlier job), and a
deal's trigger for a stage (say, closed-won) makes one brief unless the deal's documents changed.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any

from .errors import NotFound
from .records import Records, now, upsert_deal
from .schema import Deal

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,                 -- brief | deliver | ingest | ingest-large
    deal_id TEXT NOT NULL,
    status TEXT NOT NULL,               -- pending | running | done | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0,
    payload TEXT NOT NULL DEFAULT '{}',
    brief_id INTEGER,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, not_before);
CREATE TABLE IF NOT EXISTS events (
    source TEXT NOT NULL,
    event_id TEXT NOT NULL,
    deal_id TEXT NOT NULL,
    job_id INTEGER,
    received_at TEXT NOT NULL,
    PRIMARY KEY (source, event_id)
);
CREATE TABLE IF NOT EXISTS job_progress (
    job_id INTEGER PRIMARY KEY,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    report TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS triggers (
    deal_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    job_id INTEGER NOT NULL,
    sources_hash TEXT NOT NULL,
    PRIMARY KEY (deal_id, stage)
);
"""


# What the brief worker takes; uploads from the form have workers of their own.
BRIEF_KINDS = ("brief", "deliver")


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


def _job(row: sqlite3.Row) -> Job:
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
    )


class JobQueue:
    def __init__(self, records: Records) -> None:
        self.records = records
        self.wake = threading.Event()
        with records.transaction() as db:
            db.executescript(_SCHEMA)

    def enqueue(self, kind: str, deal_id: str, payload: dict[str, Any] | None = None) -> Job:
        with self.records.transaction() as db:
            job_id = self._insert(db, kind, deal_id, payload or {})
        self.wake.set()
        return self.get(job_id)

    def _insert(self, db: sqlite3.Connection, kind: str, deal_id: str, payload: dict[str, Any]) -> int:
        stamp = now()
        cur = db.execute(
            "INSERT INTO jobs(kind, deal_id, status, payload, created_at, updated_at) VALUES (?,?,?,?,?,?)",
            (kind, deal_id, "pending", json.dumps(payload), stamp, stamp),
        )
        return int(cur.lastrowid or 0)

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
    ) -> tuple[Job, str]:
        """Record a CRM event and the work it asks for, in one transaction with the deal's record.

        Returns (job, action): "duplicate" for an event id seen before (a replay: nothing of it
        is recorded again) or for a second event for the same deal and stage with nothing new;
        else "queued". An event's documents are always ingested, once: they join the deal's
        pending brief job, or make a new one when none is pending."""
        with self.records.immediate() as db:
            seen = db.execute(
                "SELECT job_id FROM events WHERE source=? AND event_id=?", (source, event_id)
            ).fetchone()
            if seen is not None:
                job_id = int(seen["job_id"])
                action = "duplicate"
            else:
                if deal is not None:
                    upsert_deal(db, deal)
                if sources_hash is None:  # what the deal holds with this event's fields
                    sources_hash = self.records.sources_hash(deal_id)
                job_id, action = self._work_for(db, source, deal_id, stage, sources_hash, payload, files)
                db.execute(
                    "INSERT INTO events(source, event_id, deal_id, job_id, received_at) VALUES (?,?,?,?,?)",
                    (source, event_id, deal_id, job_id, now()),
                )
        if action == "queued":
            self.wake.set()
        return self.get(job_id), action

    def _work_for(
        self,
        db: sqlite3.Connection,
        source: str,
        deal_id: str,
        stage: str,
        sources_hash: str,
        payload: dict[str, Any] | None,
        files: list[str] | None,
    ) -> tuple[int, str]:
        current = db.execute(
            "SELECT job_id, sources_hash FROM triggers WHERE deal_id=? AND stage=?", (deal_id, stage)
        ).fetchone()
        if files:
            pending = db.execute(
                "SELECT id, payload FROM jobs WHERE kind='brief' AND deal_id=? AND status='pending' "
                "ORDER BY id DESC LIMIT 1",
                (deal_id,),
            ).fetchone()
            if pending is not None:  # not claimed yet: the job ingests these files too
                merged = json.loads(pending["payload"])
                merged["ingest"] = [*(merged.get("ingest") or []), *files]
                db.execute(
                    "UPDATE jobs SET payload=?, updated_at=? WHERE id=?",
                    (json.dumps(merged), now(), pending["id"]),
                )
                return int(pending["id"]), "queued"
        elif current is not None and current["sources_hash"] == sources_hash:
            return int(current["job_id"]), "duplicate"
        job_id = self._insert(
            db, "brief", deal_id, {**(payload or {}), "ingest": files or [], "trigger": f"{source}:{stage}"}
        )
        db.execute(
            "INSERT OR REPLACE INTO triggers(deal_id, stage, job_id, sources_hash) VALUES (?,?,?,?)",
            (deal_id, stage, job_id, sources_hash),
        )
        return job_id, "queued"

    def settle(self, job_id: int, sources_hash: str) -> None:
        """After a job ingested its files: the triggers it serves record what the deal now holds,
        so a later event with nothing new is a duplicate."""
        with self.records.transaction() as db:
            db.execute("UPDATE triggers SET sources_hash=? WHERE job_id=?", (sources_hash, job_id))

    def stages_for(self, deal_id: str) -> list[tuple[str, str]]:
        with self.records.transaction() as db:
            rows = db.execute(
                "SELECT stage, sources_hash FROM triggers WHERE deal_id=?", (deal_id,)
            ).fetchall()
        return [(r["stage"], r["sources_hash"]) for r in rows]

    def retrigger(self, deal_id: str, stage: str, sources_hash: str) -> Job | None:
        """New documents for a deal that was already briefed for `stage`: brief it again."""
        with self.records.immediate() as db:
            row = db.execute(
                "SELECT sources_hash FROM triggers WHERE deal_id=? AND stage=?", (deal_id, stage)
            ).fetchone()
            if row is None or row["sources_hash"] == sources_hash:
                return None
            job_id = self._insert(db, "brief", deal_id, {"trigger": f"documents:{stage}"})
            db.execute(
                "UPDATE triggers SET job_id=?, sources_hash=? WHERE deal_id=? AND stage=?",
                (job_id, sources_hash, deal_id, stage),
            )
        self.wake.set()
        return self.get(job_id)

    def get(self, job_id: int) -> Job:
        with self.records.transaction() as db:
            row = db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        if row is None:
            raise NotFound(f"no job with id {job_id}")
        return _job(row)

    def claim(self, kinds: tuple[str, ...] = BRIEF_KINDS) -> Job | None:
        marks = ",".join("?" * len(kinds))
        with self.records.immediate() as db:
            row = db.execute(
                f"SELECT * FROM jobs WHERE status='pending' AND not_before<=? AND kind IN ({marks}) "
                "ORDER BY id LIMIT 1",
                (time.time(), *kinds),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET status='running', attempts=attempts+1, updated_at=? WHERE id=?",
                (now(), row["id"]),
            )
        return self.get(int(row["id"]))

    def finish(self, job_id: int, brief_id: int | None = None, note: str | None = None) -> None:
        """Done; `note` says what was done only in part (a document that could not be read)."""
        with self.records.transaction() as db:
            db.execute(
                "UPDATE jobs SET status='done', brief_id=COALESCE(?, brief_id), error=?, updated_at=? WHERE id=?",
                (brief_id, note, now(), job_id),
            )

    def fail(self, job_id: int, error: str, retry_in: float | None = None) -> None:
        with self.records.transaction() as db:
            if retry_in is None:
                db.execute(
                    "UPDATE jobs SET status='failed', error=?, updated_at=? WHERE id=?",
                    (error, now(), job_id),
                )
            else:
                db.execute(
                    "UPDATE jobs SET status='pending', error=?, not_before=?, updated_at=? WHERE id=?",
                    (error, time.time() + retry_in, now(), job_id),
                )

    def set_progress(self, job_id: int, done: int, total: int, note: str, report: str | None = None) -> None:
        with self.records.transaction() as db:
            db.execute(
                """INSERT INTO job_progress(job_id, done, total, note, report, updated_at) VALUES (?,?,?,?,?,?)
                   ON CONFLICT(job_id) DO UPDATE SET done=excluded.done, total=excluded.total,
                   note=excluded.note, report=COALESCE(excluded.report, job_progress.report),
                   updated_at=excluded.updated_at""",
                (job_id, done, total, note, report, now()),
            )

    def progress(self, job_id: int) -> Progress | None:
        with self.records.transaction() as db:
            row = db.execute(
                "SELECT done, total, note, report, updated_at FROM job_progress WHERE job_id=?", (job_id,)
            ).fetchone()
        return Progress(**dict(row)) if row else None

    def resume_interrupted(self) -> int:
        """Jobs left running by a process that died go back to the queue."""
        with self.records.transaction() as db:
            cur = db.execute(
                "UPDATE jobs SET status='pending', updated_at=? WHERE status='running'", (now(),)
            )
        return int(cur.rowcount)

    def counts(self) -> dict[str, int]:
        with self.records.transaction() as db:
            rows = db.execute("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status").fetchall()
        return {r["status"]: int(r["n"]) for r in rows}

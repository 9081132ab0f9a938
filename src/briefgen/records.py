"""The SQLite record beside the vector store: deals, sources, and every brief version.

Each write is one transaction, so a process killed mid-write leaves the previous
state intact (SQLite's journal rolls the partial write back on next open).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import Conflict, NotFound, StoreError, StoreFull
from .schema import Brief, Deal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deals (
    deal_id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sources (
    source_id TEXT PRIMARY KEY,
    deal_id TEXT NOT NULL REFERENCES deals(deal_id),
    relpath TEXT NOT NULL,
    path TEXT,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    date TEXT,
    author TEXT,
    content_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    raw TEXT NOT NULL,
    meta TEXT NOT NULL,
    chunks INTEGER NOT NULL,
    ingested_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sources_deal ON sources(deal_id);
CREATE TABLE IF NOT EXISTS sentence_vectors (
    hash TEXT PRIMARY KEY,
    vec BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS briefs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    deal_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    engine TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'draft',
    note TEXT,
    sources_hash TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (deal_id, version)
);
"""
# Columns added after the first release: added in place to an older database.
_ADDED_COLUMNS = {"briefs": ("created_by TEXT", "reviewed_by TEXT", "reviewed_at TEXT")}


def store_error(path: Path, exc: Exception) -> StoreError:
    """A database failure as briefgen's error; a full disk is its own kind (HTTP 507)."""
    text = str(exc)
    if "disk is full" in text or "No space left" in text:
        return StoreFull(f"record database {path}: {text}")
    return StoreError(f"record database {path}: {text}")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class SourceRecord:
    source_id: str
    deal_id: str
    relpath: str
    path: str | None
    kind: str
    title: str
    date: str | None
    author: str | None
    content_hash: str
    text: str
    raw: str
    meta: dict[str, Any]
    chunks: int
    ingested_at: str
    updated_at: str

    @property
    def citable(self) -> str:
        """Everything a quote may come from: the cleaned text, then the full original
        (email headers, signature and quoted replies included)."""
        return self.text if self.raw == self.text else f"{self.text}\n\n{self.raw}"


@dataclass
class BriefRecord:
    id: int
    deal_id: str
    version: int
    engine: str
    status: str
    note: str | None
    sources_hash: str
    created_at: str
    brief: Brief
    created_by: str | None = None
    reviewed_by: str | None = None
    reviewed_at: str | None = None


@dataclass
class BriefInfo:
    """A stored version without its body: what a version list shows."""

    id: int
    deal_id: str
    version: int
    engine: str
    status: str
    note: str | None
    created_at: str
    created_by: str | None
    reviewed_by: str | None
    reviewed_at: str | None

    @property
    def seen(self) -> str:
        """What a reviewer saw of this version's review state; a review naming another
        value acts on a version someone has reviewed since."""
        return f"{self.status}|{self.reviewed_at or ''}"


_INFO_COLUMNS = "id, deal_id, version, engine, status, note, created_at, created_by, reviewed_by, reviewed_at"


class Records:
    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self._lock = threading.RLock()
        if read_only:
            self._db = _open_read_only(path)
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL with NORMAL sync survives a killed process (what the API promises); only a
            # power cut can lose the last commits. FULL would fsync every webhook.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
            self._add_columns()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the record database {path}: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    def _add_columns(self) -> None:
        for table, columns in _ADDED_COLUMNS.items():
            have = {r["name"] for r in self._db.execute(f"PRAGMA table_info({table})")}
            for column in columns:
                if column.split()[0] not in have:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
        self._db.commit()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                with self._db:
                    yield self._db
            except sqlite3.Error as exc:
                raise store_error(self.path, exc) from exc

    # --- deals -----------------------------------------------------------------

    def upsert_deal(self, deal: Deal, replace_fields: bool = True) -> Deal:
        with self.transaction() as db:
            return upsert_deal(db, deal, replace_fields)

    @contextmanager
    def immediate(self) -> Iterator[sqlite3.Connection]:
        """A transaction that takes the write lock at its start, so what it reads is still true
        when it writes (Python's sqlite3 otherwise begins a transaction at the first write)."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.rollback()
                    raise
                self._db.commit()
            except sqlite3.Error as exc:
                raise store_error(self.path, exc) from exc

    def get_deal(self, deal_id: str) -> Deal:
        with self._lock:
            row = self._db.execute("SELECT data FROM deals WHERE deal_id=?", (deal_id,)).fetchone()
        if row is None:
            raise NotFound(f"no deal '{deal_id}' in the store (see `briefgen deals`)")
        return Deal.model_validate_json(row["data"])

    def list_deals(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                """SELECT d.deal_id, d.data, d.updated_at,
                          (SELECT COUNT(*) FROM sources s WHERE s.deal_id=d.deal_id) AS sources,
                          (SELECT MAX(version) FROM briefs b WHERE b.deal_id=d.deal_id) AS briefs
                   FROM deals d ORDER BY d.deal_id"""
            ).fetchall()
        out = []
        for r in rows:
            data = json.loads(r["data"])
            out.append(
                {
                    "deal_id": r["deal_id"],
                    "account": data.get("account"),
                    "stage": data.get("stage"),
                    "sources": r["sources"],
                    "briefs": r["briefs"] or 0,
                    "updated_at": r["updated_at"],
                }
            )
        return out

    # --- sources ---------------------------------------------------------------

    def get_source(self, source_id: str) -> SourceRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM sources WHERE source_id=?", (source_id,)).fetchone()
        return _source(row) if row else None

    def sources(self, deal_id: str) -> list[SourceRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM sources WHERE deal_id=? ORDER BY COALESCE(date, ''), relpath, source_id",
                (deal_id,),
            ).fetchall()
        return [_source(r) for r in rows]

    def put_source(self, rec: SourceRecord) -> None:
        with self.transaction() as db:
            db.execute(
                """INSERT INTO sources VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                   ON CONFLICT(source_id) DO UPDATE SET
                     deal_id=excluded.deal_id, relpath=excluded.relpath, path=excluded.path,
                     kind=excluded.kind, title=excluded.title, date=excluded.date,
                     author=excluded.author, content_hash=excluded.content_hash,
                     text=excluded.text, raw=excluded.raw, meta=excluded.meta,
                     chunks=excluded.chunks, updated_at=excluded.updated_at""",
                (
                    rec.source_id,
                    rec.deal_id,
                    rec.relpath,
                    rec.path,
                    rec.kind,
                    rec.title,
                    rec.date,
                    rec.author,
                    rec.content_hash,
                    rec.text,
                    rec.raw,
                    json.dumps(rec.meta),
                    rec.chunks,
                    rec.ingested_at,
                    rec.updated_at,
                ),
            )

    def sources_hash(self, deal_id: str) -> str:
        """Changes whenever any source of the deal, or the deal's fields, change."""
        import hashlib

        h = hashlib.sha256()
        with self._lock:
            for r in self._db.execute(
                "SELECT source_id, content_hash FROM sources WHERE deal_id=? ORDER BY source_id",
                (deal_id,),
            ):
                h.update(f"{r['source_id']}:{r['content_hash']}\n".encode())
            row = self._db.execute("SELECT data FROM deals WHERE deal_id=?", (deal_id,)).fetchone()
        if row:
            h.update(row["data"].encode())
        return h.hexdigest()[:16]

    # --- sentence vectors ------------------------------------------------------

    def get_sentence_vectors(self, hashes: list[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        with self._lock:
            for start in range(0, len(hashes), 500):
                part = hashes[start : start + 500]
                marks = ",".join("?" * len(part))
                for row in self._db.execute(
                    f"SELECT hash, vec FROM sentence_vectors WHERE hash IN ({marks})", part
                ):
                    out[row["hash"]] = bytes(row["vec"])
        return out

    def put_sentence_vectors(self, items: dict[str, bytes]) -> None:
        if not items:
            return
        with self.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO sentence_vectors(hash, vec) VALUES (?, ?)", list(items.items())
            )

    # --- briefs ----------------------------------------------------------------

    def add_brief(self, brief: Brief, sources_hash: str, created_by: str | None = None) -> BriefRecord:
        with self.transaction() as db:
            row = db.execute(
                "SELECT COALESCE(MAX(version), 0) AS v FROM briefs WHERE deal_id=?", (brief.deal_id,)
            ).fetchone()
            version = int(row["v"]) + 1
            created = now()
            cur = db.execute(
                """INSERT INTO briefs(deal_id, version, engine, status, sources_hash, body, created_at,
                   created_by) VALUES (?,?,?,?,?,?,?,?)""",
                (
                    brief.deal_id,
                    version,
                    brief.engine,
                    "draft",
                    sources_hash,
                    brief.model_dump_json(),
                    created,
                    created_by,
                ),
            )
            brief_id = int(cur.lastrowid or 0)
        return BriefRecord(
            brief_id,
            brief.deal_id,
            version,
            brief.engine,
            "draft",
            None,
            sources_hash,
            created,
            brief,
            created_by,
        )

    def get_brief(self, brief_id: int) -> BriefRecord:
        with self._lock:
            row = self._db.execute("SELECT * FROM briefs WHERE id=?", (brief_id,)).fetchone()
        if row is None:
            raise NotFound(f"no brief with id {brief_id}")
        return _brief(row)

    def briefs(self, deal_id: str) -> list[BriefRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM briefs WHERE deal_id=? ORDER BY version", (deal_id,)
            ).fetchall()
        return [_brief(r) for r in rows]

    def latest_brief(self, deal_id: str) -> BriefRecord | None:
        found = self.briefs(deal_id)
        return found[-1] if found else None

    def set_brief_status(
        self, brief_id: int, status: str, note: str | None = None, reviewed_by: str | None = None
    ) -> None:
        with self.transaction() as db:
            cur = db.execute(
                "UPDATE briefs SET status=?, note=?, reviewed_by=?, reviewed_at=? WHERE id=?",
                (status, note, reviewed_by, now(), brief_id),
            )
            if cur.rowcount == 0:
                raise NotFound(f"no brief with id {brief_id}")

    def brief_versions(self, deal_id: str) -> list[BriefInfo]:
        """Every version of a deal's brief, oldest first, without reading the bodies."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_INFO_COLUMNS} FROM briefs WHERE deal_id=? ORDER BY version", (deal_id,)
            ).fetchall()
        return [BriefInfo(**dict(r)) for r in rows]

    def brief_info(self, brief_id: int) -> BriefInfo:
        with self._lock:
            row = self._db.execute(f"SELECT {_INFO_COLUMNS} FROM briefs WHERE id=?", (brief_id,)).fetchone()
        if row is None:
            raise NotFound(f"no brief with id {brief_id}")
        return BriefInfo(**dict(row))

    def deal_table(self) -> list[dict[str, Any]]:
        """Every deal with its CRM fields, source count and latest brief version: the form's
        deal list."""
        with self._lock:
            rows = self._db.execute(
                """SELECT d.deal_id, d.data, d.updated_at,
                          (SELECT COUNT(*) FROM sources s WHERE s.deal_id=d.deal_id) AS sources
                   FROM deals d ORDER BY d.deal_id"""
            ).fetchall()
            latest = {
                r["deal_id"]: BriefInfo(**dict(r))
                for r in self._db.execute(
                    f"""SELECT {_INFO_COLUMNS} FROM briefs b WHERE version =
                        (SELECT MAX(version) FROM briefs x WHERE x.deal_id=b.deal_id)"""
                )
            }
        out = []
        for r in rows:
            data = json.loads(r["data"])
            out.append(
                {
                    "deal_id": r["deal_id"],
                    "account": data.get("account"),
                    "stage": data.get("stage"),
                    "owner": data.get("owner"),
                    "close_date": data.get("close_date"),
                    "sources": r["sources"],
                    "updated_at": r["updated_at"],
                    "last_brief": latest.get(r["deal_id"]),
                }
            )
        return out

    def review_brief(
        self, brief_id: int, status: str, note: str | None, reviewed_by: str | None, seen: str
    ) -> BriefInfo:
        """Set a version's review status, only if it is still the deal's latest version and
        its review state is still what the reviewer saw (`BriefInfo.seen`); checked and written
        in one transaction, so two reviewers cannot both act on the same state."""
        with self.immediate() as db:
            row = db.execute(f"SELECT {_INFO_COLUMNS} FROM briefs WHERE id=?", (brief_id,)).fetchone()
            if row is None:
                raise NotFound(f"no brief with id {brief_id}")
            info = BriefInfo(**dict(row))
            newer = db.execute(
                "SELECT version, created_by, created_at FROM briefs WHERE deal_id=? AND version>? "
                "ORDER BY version DESC LIMIT 1",
                (info.deal_id, info.version),
            ).fetchone()
            if newer is not None:
                by = f" by {newer['created_by']}" if newer["created_by"] else ""
                raise Conflict(
                    f"version {info.version} of {info.deal_id} is out of date: version {newer['version']} "
                    f"was saved{by} at {newer['created_at']}; open it first"
                )
            if info.seen != seen:
                by = f" by {info.reviewed_by}" if info.reviewed_by else ""
                raise Conflict(
                    f"version {info.version} of {info.deal_id} was {info.status}{by} at "
                    f"{info.reviewed_at} since you opened it; open it again first"
                )
            stamp = now()
            db.execute(
                "UPDATE briefs SET status=?, note=?, reviewed_by=?, reviewed_at=? WHERE id=?",
                (status, note, reviewed_by, stamp, brief_id),
            )
        info.status, info.note, info.reviewed_by, info.reviewed_at = status, note, reviewed_by, stamp
        return info


def upsert_deal(db: sqlite3.Connection, deal: Deal, replace_fields: bool = True) -> Deal:
    """Insert a deal or merge its fields, inside the caller's transaction."""
    row = db.execute("SELECT data FROM deals WHERE deal_id=?", (deal.deal_id,)).fetchone()
    if row is None:
        db.execute(
            "INSERT INTO deals(deal_id, data, created_at, updated_at) VALUES (?,?,?,?)",
            (
                deal.deal_id,
                json.dumps(deal.model_dump(exclude_none=True), sort_keys=True),
                now(),
                now(),
            ),
        )
        return deal
    current = json.loads(row["data"])
    incoming = deal.model_dump(exclude_none=True)
    merged = {**current, **incoming} if replace_fields else {**incoming, **current}
    if merged == current:
        return Deal.model_validate(current)
    db.execute(
        "UPDATE deals SET data=?, updated_at=? WHERE deal_id=?",
        (json.dumps(merged, sort_keys=True), now(), deal.deal_id),
    )
    return Deal.model_validate(merged)


def _open_read_only(path: Path) -> sqlite3.Connection:
    """For commands that only read: a store on read-only media (or another user's) opens too.
    A WAL database there cannot get its shared-memory file, so it is read as immutable."""
    uri = path.resolve().as_uri()
    last: sqlite3.Error | None = None
    for query in ("mode=ro", "immutable=1"):
        try:
            db = sqlite3.connect(f"{uri}?{query}", uri=True, check_same_thread=False, timeout=30)
            db.row_factory = sqlite3.Row
            db.execute("SELECT COUNT(*) FROM deals").fetchone()
            return db
        except sqlite3.Error as exc:
            last = exc
    raise StoreError(f"cannot read the record database {path}: {last}")


def _source(row: sqlite3.Row) -> SourceRecord:
    data = dict(row)
    data["meta"] = json.loads(data["meta"])
    return SourceRecord(**data)


def _brief(row: sqlite3.Row) -> BriefRecord:
    return BriefRecord(
        id=row["id"],
        deal_id=row["deal_id"],
        version=row["version"],
        engine=row["engine"],
        status=row["status"],
        note=row["note"],
        sources_hash=row["sources_hash"],
        created_at=row["created_at"],
        brief=Brief.model_validate_json(row["body"]),
        created_by=row["created_by"],
        reviewed_by=row["reviewed_by"],
        reviewed_at=row["reviewed_at"],
    )

"""The record beside the vector store: deals, sources, and every brief version.

It lives in a SQLite file in the data home, or in PostgreSQL when `BRIEFGEN_DATABASE_URL`
is set (see `database.py`); the tables are in `tables.py`. Each write is one transaction, so
a process killed mid-write leaves the previous state intact.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, func, select

from . import tables as t
from .database import Database
from .errors import Conflict, NotFound
from .schema import Brief, Deal


def no_such_deal(deal_id: str) -> NotFound:
    return NotFound(f"no deal '{deal_id}' in the store (see `briefgen deals`)")


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


_INFO = [
    t.briefs.c[n]
    for n in (
        "id",
        "deal_id",
        "version",
        "engine",
        "status",
        "note",
        "created_at",
        "created_by",
        "reviewed_by",
        "reviewed_at",
    )
]


def _info(row: Any) -> BriefInfo:
    return BriefInfo(**dict(row._mapping))


class Records:
    """Deals, sources, sentence vectors and brief versions. `target` is the SQLite file of a
    data home, or a database URL."""

    def __init__(self, target: Path | str, read_only: bool = False) -> None:
        if isinstance(target, str):
            self.db = Database(target, read_only=read_only)
        else:
            self.db = Database.for_file(target, read_only=read_only)
        self.path = self.db.where

    @classmethod
    def open(cls, home: Path, database_url: str | None = None, read_only: bool = False) -> Records:
        from .database import SQLITE_NAME

        return cls(database_url or home / SQLITE_NAME, read_only=read_only)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.db.write() as conn:
            yield conn

    # Every write transaction takes its locks before it reads (see database.py).
    immediate = transaction

    # --- deals -----------------------------------------------------------------

    def upsert_deal(self, deal: Deal, replace_fields: bool = True) -> Deal:
        return self.db.retrying(lambda conn: upsert_deal(conn, deal, replace_fields))

    def get_deal(self, deal_id: str) -> Deal:
        with self.db.read() as conn:
            row = conn.execute(select(t.deals.c.data).where(t.deals.c.deal_id == deal_id)).first()
        if row is None:
            raise no_such_deal(deal_id)
        return Deal.model_validate_json(row.data)

    def list_deals(self) -> list[dict[str, Any]]:
        d, s, b = t.deals, t.sources, t.briefs
        n_sources = select(func.count()).where(s.c.deal_id == d.c.deal_id).scalar_subquery()
        latest = select(func.max(b.c.version)).where(b.c.deal_id == d.c.deal_id).scalar_subquery()
        # A deal changes when its CRM fields do and when a source of it is added or replaced.
        touched = select(func.max(s.c.updated_at)).where(s.c.deal_id == d.c.deal_id).scalar_subquery()
        query = select(
            d.c.deal_id,
            d.c.data,
            d.c.updated_at,
            n_sources.label("sources"),
            latest.label("briefs"),
            touched.label("source_updated_at"),
        ).order_by(d.c.deal_id)
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        out = []
        for r in rows:
            data = json.loads(r.data)
            out.append(
                {
                    "deal_id": r.deal_id,
                    "account": data.get("account"),
                    "stage": data.get("stage"),
                    "sources": int(r.sources),
                    "briefs": int(r.briefs or 0),
                    "updated_at": max(r.updated_at, r.source_updated_at or ""),
                }
            )
        return out

    def changed_deals(self) -> list[tuple[str, str]]:
        """(deal id, updated_at) for every deal and every source: what `--since` filters."""
        query = select(t.sources.c.deal_id, t.sources.c.updated_at).union_all(
            select(t.deals.c.deal_id, t.deals.c.updated_at)
        )
        with self.db.read() as conn:
            return [(r[0], r[1]) for r in conn.execute(query).all()]

    def delete_deal(self, deal_id: str, sentence_keys: list[str]) -> tuple[int, int, int]:
        """Remove a deal, its sources and brief versions, its close triggers and the cached
        vectors of its sentences (`sentence_keys`), in one transaction; its pending jobs are
        failed, not dropped, so their history stays. Returns (sources, briefs, jobs failed)."""
        with self.db.write() as conn:
            if conn.execute(select(t.deals.c.deal_id).where(t.deals.c.deal_id == deal_id)).first() is None:
                raise no_such_deal(deal_id)
            sources = conn.execute(t.sources.delete().where(t.sources.c.deal_id == deal_id)).rowcount
            briefs = conn.execute(t.briefs.delete().where(t.briefs.c.deal_id == deal_id)).rowcount
            conn.execute(t.triggers.delete().where(t.triggers.c.deal_id == deal_id))
            jobs = conn.execute(
                t.jobs.update()
                .where(t.jobs.c.deal_id == deal_id, t.jobs.c.status == "pending")
                .values(
                    status="failed", error="the deal was deleted", error_type="NotFound", updated_at=now()
                )
            ).rowcount
            for start in range(0, len(sentence_keys), 500):
                part = sentence_keys[start : start + 500]
                conn.execute(t.sentence_vectors.delete().where(t.sentence_vectors.c.hash.in_(part)))
            conn.execute(t.deals.delete().where(t.deals.c.deal_id == deal_id))
        return sources, briefs, jobs

    # --- sources ---------------------------------------------------------------

    def get_source(self, source_id: str) -> SourceRecord | None:
        with self.db.read() as conn:
            row = conn.execute(select(t.sources).where(t.sources.c.source_id == source_id)).mappings().first()
        return _source(row) if row else None

    def sources(self, deal_id: str) -> list[SourceRecord]:
        s = t.sources
        query = (
            select(s)
            .where(s.c.deal_id == deal_id)
            .order_by(func.coalesce(s.c.date, ""), s.c.relpath, s.c.source_id)
        )
        with self.db.read() as conn:
            rows = conn.execute(query).mappings().all()
        return [_source(r) for r in rows]

    def put_source(self, rec: SourceRecord) -> None:
        values = {
            "source_id": rec.source_id,
            "deal_id": rec.deal_id,
            "relpath": rec.relpath,
            "path": rec.path,
            "kind": rec.kind,
            "title": rec.title,
            "date": rec.date,
            "author": rec.author,
            "content_hash": rec.content_hash,
            "text": rec.text,
            "raw": rec.raw,
            "meta": json.dumps(rec.meta),
            "chunks": rec.chunks,
            "ingested_at": rec.ingested_at,
            "updated_at": rec.updated_at,
        }
        stmt = self.db.insert(t.sources).values(**values)
        # A re-ingested source keeps when it was first ingested.
        changed = {k: stmt.excluded[k] for k in values if k not in ("source_id", "ingested_at")}
        with self.db.write() as conn:
            conn.execute(stmt.on_conflict_do_update(index_elements=["source_id"], set_=changed))

    def sources_hash(self, deal_id: str, conn: Connection | None = None) -> str:
        """Changes whenever any source of the deal, or the deal's fields, change (as seen by
        `conn`'s transaction, when given)."""
        if conn is None:
            with self.db.read() as own:
                return self.sources_hash(deal_id, own)
        s = t.sources
        rows = conn.execute(
            select(s.c.source_id, s.c.content_hash).where(s.c.deal_id == deal_id).order_by(s.c.source_id)
        ).all()
        row = conn.execute(select(t.deals.c.data).where(t.deals.c.deal_id == deal_id)).first()
        return deal_hash([(r.source_id, r.content_hash) for r in rows], row.data if row else None)

    # --- sentence vectors ------------------------------------------------------

    def get_sentence_vectors(self, hashes: list[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        v = t.sentence_vectors
        with self.db.read() as conn:
            for start in range(0, len(hashes), 500):
                part = hashes[start : start + 500]
                for row in conn.execute(select(v.c.hash, v.c.vec).where(v.c.hash.in_(part))):
                    out[row.hash] = bytes(row.vec)
        return out

    def put_sentence_vectors(self, items: dict[str, bytes]) -> None:
        if not items:
            return
        stmt = self.db.insert(t.sentence_vectors).on_conflict_do_nothing(index_elements=["hash"])
        # Sorted, so two writers of overlapping sets take row locks in the same order.
        rows = [{"hash": k, "vec": items[k]} for k in sorted(items)]
        with self.db.write() as conn:
            conn.execute(stmt, rows)

    # --- briefs ----------------------------------------------------------------

    def add_brief(self, brief: Brief, sources_hash: str, created_by: str | None = None) -> BriefRecord:
        return self.db.retrying(lambda conn: self.insert_brief(conn, brief, sources_hash, created_by))

    def insert_brief(
        self, conn: Connection, brief: Brief, sources_hash: str, created_by: str | None = None
    ) -> BriefRecord:
        """A new version of the deal's brief, inside the caller's transaction (the job queue
        writes it together with the job's completion)."""
        b = t.briefs
        current = conn.execute(
            select(func.coalesce(func.max(b.c.version), 0)).where(b.c.deal_id == brief.deal_id)
        ).scalar_one()
        version = int(current) + 1
        created = now()
        # Two writers picking the same version collide on UNIQUE(deal_id, version); the
        # caller's retry then reads the new maximum.
        brief_id = conn.execute(
            b.insert()
            .values(
                deal_id=brief.deal_id,
                version=version,
                engine=brief.engine,
                status="draft",
                sources_hash=sources_hash,
                body=brief.model_dump_json(),
                created_at=created,
                created_by=created_by,
            )
            .returning(b.c.id)
        ).scalar_one()
        return BriefRecord(
            int(brief_id),
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
        with self.db.read() as conn:
            row = conn.execute(select(t.briefs).where(t.briefs.c.id == brief_id)).mappings().first()
        if row is None:
            raise NotFound(f"no brief with id {brief_id}")
        return _brief(row)

    def briefs(self, deal_id: str) -> list[BriefRecord]:
        b = t.briefs
        with self.db.read() as conn:
            rows = (
                conn.execute(select(b).where(b.c.deal_id == deal_id).order_by(b.c.version)).mappings().all()
            )
        return [_brief(r) for r in rows]

    def latest_brief(self, deal_id: str) -> BriefRecord | None:
        found = self.briefs(deal_id)
        return found[-1] if found else None

    def set_brief_status(
        self, brief_id: int, status: str, note: str | None = None, reviewed_by: str | None = None
    ) -> None:
        with self.db.write() as conn:
            cur = conn.execute(
                t.briefs.update()
                .where(t.briefs.c.id == brief_id)
                .values(status=status, note=note, reviewed_by=reviewed_by, reviewed_at=now())
            )
            if cur.rowcount == 0:
                raise NotFound(f"no brief with id {brief_id}")

    def brief_versions(self, deal_id: str) -> list[BriefInfo]:
        """Every version of a deal's brief, oldest first, without reading the bodies."""
        b = t.briefs
        with self.db.read() as conn:
            rows = conn.execute(select(*_INFO).where(b.c.deal_id == deal_id).order_by(b.c.version)).all()
        return [_info(r) for r in rows]

    def brief_info(self, brief_id: int) -> BriefInfo:
        with self.db.read() as conn:
            row = conn.execute(select(*_INFO).where(t.briefs.c.id == brief_id)).first()
        if row is None:
            raise NotFound(f"no brief with id {brief_id}")
        return _info(row)

    def deal_table(self) -> list[dict[str, Any]]:
        """Every deal with its CRM fields, source count and latest brief version: the form's
        deal list."""
        d, s, b = t.deals, t.sources, t.briefs
        n_sources = select(func.count()).where(s.c.deal_id == d.c.deal_id).scalar_subquery()
        x = b.alias("x")
        newest = select(func.max(x.c.version)).where(x.c.deal_id == b.c.deal_id).scalar_subquery()
        with self.db.read() as conn:
            rows = conn.execute(
                select(d.c.deal_id, d.c.data, d.c.updated_at, n_sources.label("sources")).order_by(
                    d.c.deal_id
                )
            ).all()
            latest = {r.deal_id: _info(r) for r in conn.execute(select(*_INFO).where(b.c.version == newest))}
        out = []
        for r in rows:
            data = json.loads(r.data)
            out.append(
                {
                    "deal_id": r.deal_id,
                    "account": data.get("account"),
                    "stage": data.get("stage"),
                    "owner": data.get("owner"),
                    "close_date": data.get("close_date"),
                    "sources": int(r.sources),
                    "updated_at": r.updated_at,
                    "last_brief": latest.get(r.deal_id),
                }
            )
        return out

    def review_brief(
        self, brief_id: int, status: str, note: str | None, reviewed_by: str | None, seen: str
    ) -> BriefInfo:
        """Set a version's review status, only if it is still the deal's latest version and
        its review state is still what the reviewer saw (`BriefInfo.seen`); checked and written
        in one transaction with the row locked, so two reviewers cannot both act on the same state."""
        b = t.briefs
        with self.db.write() as conn:
            row = conn.execute(select(*_INFO).where(b.c.id == brief_id).with_for_update()).first()
            if row is None:
                raise NotFound(f"no brief with id {brief_id}")
            info = _info(row)
            newer = conn.execute(
                select(b.c.version, b.c.created_by, b.c.created_at)
                .where(b.c.deal_id == info.deal_id, b.c.version > info.version)
                .order_by(b.c.version.desc())
                .limit(1)
            ).first()
            if newer is not None:
                by = f" by {newer.created_by}" if newer.created_by else ""
                raise Conflict(
                    f"version {info.version} of {info.deal_id} is out of date: version {newer.version} "
                    f"was saved{by} at {newer.created_at}; open it first"
                )
            if info.seen != seen:
                by = f" by {info.reviewed_by}" if info.reviewed_by else ""
                raise Conflict(
                    f"version {info.version} of {info.deal_id} was {info.status}{by} at "
                    f"{info.reviewed_at} since you opened it; open it again first"
                )
            stamp = now()
            conn.execute(
                b.update()
                .where(b.c.id == brief_id)
                .values(status=status, note=note, reviewed_by=reviewed_by, reviewed_at=stamp)
            )
        info.status, info.note, info.reviewed_by, info.reviewed_at = status, note, reviewed_by, stamp
        return info


def deal_hash(sources: list[tuple[str, str]], data: str | None) -> str:
    """What `Records.sources_hash` returns, from the deal's (source id, content hash) pairs in
    source id order and its stored fields."""
    h = hashlib.sha256()
    for source_id, content_hash in sources:
        h.update(f"{source_id}:{content_hash}\n".encode())
    if data is not None:
        h.update(data.encode())
    return h.hexdigest()[:16]


class DealUpsert:
    """`upsert_deal` (fields replaced) in one statement in the common case, and the deal's
    hash as `Records.sources_hash` gives it: the webhook path. Built once per database.

    The insert takes the row lock even when the deal exists (a no-op update), returns what the
    row holds and how many sources the deal has; only a deal that exists with other fields
    costs an update, and only a deal with sources costs a read of them."""

    def __init__(self, db: Database) -> None:
        d, s = t.deals, t.sources
        stmt = db.insert(d).values(
            deal_id=bindparam("deal_id"),
            data=bindparam("data"),
            created_at=bindparam("stamp"),
            updated_at=bindparam("stamp"),
        )
        # By parameter, not correlated: RETURNING does not correlate (SQLite's drops the names).
        n_sources = select(func.count()).where(s.c.deal_id == bindparam("b_deal")).scalar_subquery()
        self.upsert = stmt.on_conflict_do_update(
            index_elements=["deal_id"], set_={"updated_at": d.c.updated_at}
        ).returning(d.c.data, n_sources)
        self.update = (
            d.update()
            .where(d.c.deal_id == bindparam("b_deal"))
            .values(data=bindparam("data"), updated_at=bindparam("stamp"))
        )
        self.sources = (
            select(s.c.source_id, s.c.content_hash)
            .where(s.c.deal_id == bindparam("b_deal"))
            .order_by(s.c.source_id)
        )

    def __call__(self, conn: Connection, deal: Deal) -> str:
        """Insert or merge the deal inside the caller's transaction, its row locked until the
        end of it; the deal's hash after the merge."""
        incoming = deal.model_dump(exclude_none=True)
        text = json.dumps(incoming, sort_keys=True)
        stamp = now()
        data, n_sources = conn.execute(
            self.upsert, {"deal_id": deal.deal_id, "b_deal": deal.deal_id, "data": text, "stamp": stamp}
        ).one()
        if data != text:
            current = json.loads(data)
            merged = {**current, **incoming}
            if merged != current:
                data = json.dumps(merged, sort_keys=True)
                conn.execute(self.update, {"b_deal": deal.deal_id, "data": data, "stamp": stamp})
        sources: list[tuple[str, str]] = []
        if n_sources:
            sources = [(r[0], r[1]) for r in conn.execute(self.sources, {"b_deal": deal.deal_id})]
        return deal_hash(sources, data)


def upsert_deal(conn: Connection, deal: Deal, replace_fields: bool = True) -> Deal:
    """Insert a deal or merge its fields, inside the caller's transaction. Insert-if-absent,
    then lock the row: two replicas receiving the same new deal at once both end with one row
    holding both their fields."""
    from .database import insert_for

    incoming = deal.model_dump(exclude_none=True)
    stamp = now()
    conn.execute(
        insert_for(conn, t.deals)
        .values(
            deal_id=deal.deal_id,
            data=json.dumps(incoming, sort_keys=True),
            created_at=stamp,
            updated_at=stamp,
        )
        .on_conflict_do_nothing(index_elements=["deal_id"])
    )
    row = conn.execute(
        select(t.deals.c.data).where(t.deals.c.deal_id == deal.deal_id).with_for_update()
    ).one()
    current = json.loads(row.data)
    merged = {**current, **incoming} if replace_fields else {**incoming, **current}
    if merged == current:
        return Deal.model_validate(current)
    conn.execute(
        t.deals.update()
        .where(t.deals.c.deal_id == deal.deal_id)
        .values(data=json.dumps(merged, sort_keys=True), updated_at=stamp)
    )
    return Deal.model_validate(merged)


def _source(row: RowMapping) -> SourceRecord:
    data = dict(row)
    data["meta"] = json.loads(data["meta"])
    return SourceRecord(**data)


def _brief(row: RowMapping) -> BriefRecord:
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

"""Every table of the record, in one place, for SQLite and PostgreSQL alike.

Adding a column is one edit here: `database.prepare` adds columns missing from an existing
database (nullable, or with a `server_default`). Timestamps stay ISO-8601 text, as the first
SQLite release wrote them, so an existing data home opens unchanged.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

deals = Table(
    "deals",
    metadata,
    Column("deal_id", Text, primary_key=True),
    Column("data", Text, nullable=False),  # the Deal as JSON
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("source_id", Text, primary_key=True),
    Column("deal_id", Text, ForeignKey("deals.deal_id"), nullable=False),
    Column("relpath", Text, nullable=False),
    Column("path", Text),
    Column("kind", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("date", Text),
    Column("author", Text),
    Column("content_hash", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("raw", Text, nullable=False),
    Column("meta", Text, nullable=False),  # JSON
    Column("chunks", Integer, nullable=False),
    Column("ingested_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Index("sources_deal", "deal_id"),
)

# The section classifier's sentence embeddings, keyed by the sentence's hash.
sentence_vectors = Table(
    "sentence_vectors",
    metadata,
    Column("hash", Text, primary_key=True),
    Column("vec", LargeBinary, nullable=False),
)

briefs = Table(
    "briefs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("deal_id", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("engine", Text, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'draft'")),
    Column("note", Text),
    Column("sources_hash", Text, nullable=False),
    Column("body", Text, nullable=False),  # the Brief as JSON
    Column("created_at", Text, nullable=False),
    Column("created_by", Text),
    Column("reviewed_by", Text),
    Column("reviewed_at", Text),
    UniqueConstraint("deal_id", "version"),
    sqlite_autoincrement=True,
)

# Work accepted and not yet done. A worker holds a running job by its lease: `lease_owner`
# names the worker, `lease_until` (epoch seconds, database clock) is when others may take it.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", Text, nullable=False),  # brief | deliver | save | ingest | ingest-large
    Column("deal_id", Text, nullable=False),
    Column("status", Text, nullable=False),  # pending | running | done | failed
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("not_before", Double, nullable=False, server_default=text("0")),
    Column("payload", Text, nullable=False, server_default=text("'{}'")),
    Column("brief_id", Integer),
    Column("error", Text),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("lease_owner", Text),
    Column("lease_until", Double),
    # Who last ran the job (kept after it ends, unlike the lease), what it produced (JSON), and
    # the class of the error it failed with, so an API waiting for it answers as it did inline.
    Column("worker", Text),
    Column("result", Text),
    Column("error_type", Text),
    Index("jobs_status", "status", "not_before"),
    sqlite_autoincrement=True,
)

# How far a running job (a form upload) is, in the job's own unit.
job_progress = Table(
    "job_progress",
    metadata,
    Column("job_id", Integer, primary_key=True, autoincrement=False),
    Column("done", Integer, nullable=False, server_default=text("0")),
    Column("total", Integer, nullable=False, server_default=text("0")),
    Column("note", Text, nullable=False, server_default=text("''")),
    Column("report", Text),
    Column("updated_at", Text, nullable=False),
)

# CRM deliveries already seen: a retried delivery finds the job it made the first time.
events = Table(
    "events",
    metadata,
    Column("source", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("deal_id", Text, nullable=False),
    Column("job_id", Integer),
    Column("received_at", Text, nullable=False),
    PrimaryKeyConstraint("source", "event_id"),
)

# One brief per deal and stage until the deal's documents change.
triggers = Table(
    "triggers",
    metadata,
    Column("deal_id", Text, nullable=False),
    Column("stage", Text, nullable=False),
    Column("job_id", Integer, nullable=False),
    Column("sources_hash", Text, nullable=False),
    PrimaryKeyConstraint("deal_id", "stage"),
)

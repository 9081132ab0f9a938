"""The job queue and the record on both backends (a SQLite file and PostgreSQL): claims that
never hand one job to two workers, leases that a dead worker loses, completions that count only
for the lease holder, idempotent triggers across replicas, and old SQLite files that open."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, update

from briefgen import tables
from briefgen.errors import ConfigError, LeaseLost, NotFound, StoreError
from briefgen.jobs import JobQueue, worker_id
from briefgen.records import Records, SourceRecord
from briefgen.schema import Brief, Deal, HandoffRisk, Severity


def brief(deal_id: str) -> Brief:
    return Brief(
        deal_id=deal_id,
        summary="s",
        handoff_risk=HandoffRisk(level=Severity.low, factors=[], recommendation="r"),
        engine="extractive",
    )


@pytest.fixture
def records(database_url: str) -> Records:
    return Records(database_url)


def expire(records: Records, job_id: int) -> None:
    """What the passing of time does to a lease nobody renews."""
    with records.db.write() as conn:
        conn.execute(update(tables.jobs).where(tables.jobs.c.id == job_id).values(lease_until=0))


def test_concurrent_claims_hand_each_job_to_one_worker(records: Records, database_url: str) -> None:
    # Two queues over two connections pools stand for two worker processes.
    queues = [JobQueue(records), JobQueue(Records(database_url))]
    ids = {queues[0].enqueue("brief", f"d{i}").id for i in range(60)}
    claimed: list[tuple[str, int]] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        queue = queues[n % 2]
        owner = worker_id(f"t{n}")
        while (job := queue.claim(owner=owner)) is not None:
            with lock:
                claimed.append((owner, job.id))
            assert queue.finish(job.id, owner=owner)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(j for _, j in claimed) == sorted(ids)  # every job once, none twice
    assert len({o for o, _ in claimed}) > 1  # and the work was shared
    assert queues[0].counts() == {"done": 60}


def test_a_job_whose_lease_ran_out_is_taken_over_and_the_first_result_is_refused(records: Records) -> None:
    queue = JobQueue(records, lease_seconds=60)
    job = queue.enqueue("brief", "acme")
    first, second = worker_id("first"), worker_id("second")
    assert queue.claim(owner=first).id == job.id  # type: ignore[union-attr]
    assert queue.claim(owner=second) is None  # held: nobody else gets it
    assert queue.renew(job.id, first)
    expire(records, job.id)  # the first worker stopped renewing (it died or hung)
    taken = queue.claim(owner=second)
    assert taken is not None and taken.id == job.id and taken.attempts == 2
    assert not queue.renew(job.id, first)
    with pytest.raises(LeaseLost):
        queue.complete_brief(job, first, brief("acme"), "h")
    assert records.briefs("acme") == []  # the late result left nothing behind
    assert not queue.fail(job.id, "late failure", owner=first)
    record = queue.complete_brief(taken, second, brief("acme"), "h")
    done = queue.get(job.id)
    assert (done.status, done.brief_id) == ("done", record.id)
    assert [b.version for b in records.briefs("acme")] == [1]


def test_a_job_abandoned_too_often_fails_with_the_reason(records: Records) -> None:
    queue = JobQueue(records)
    job = queue.enqueue("brief", "heavy")
    for n in range(5):
        assert queue.claim(owner=worker_id(f"w{n}")) is not None
        expire(records, job.id)
    assert queue.claim(owner=worker_id("w5")) is None
    failed = queue.get(job.id)
    assert failed.status == "failed" and "abandoned" in (failed.error or "")


def test_retry_waits_by_the_database_clock(records: Records) -> None:
    queue = JobQueue(records)
    job = queue.enqueue("brief", "later")
    owner = worker_id("w")
    assert queue.claim(owner=owner) is not None
    assert queue.fail(job.id, "model away", retry_in=3600, owner=owner)
    assert queue.claim(owner=owner) is None
    assert queue.get(job.id).status == "pending"


def test_brief_and_delivery_are_written_with_the_completion(records: Records) -> None:
    queue = JobQueue(records)
    queue.enqueue("brief", "acme")
    owner = worker_id("w")
    held = queue.claim(owner=owner)
    assert held is not None
    record = queue.complete_brief(held, owner, brief("acme"), "h", deliver=True)
    deliver = queue.claim(owner=owner)
    assert deliver is not None and deliver.kind == "deliver" and deliver.payload == {"brief_id": record.id}


def test_the_same_event_on_two_replicas_at_once_makes_one_job(records: Records, database_url: str) -> None:
    replicas = [JobQueue(records), JobQueue(Records(database_url))]
    results: list[tuple[int, bool]] = []
    barrier = threading.Barrier(8)

    def deliver(n: int) -> None:
        barrier.wait()
        job, action = replicas[n % 2].trigger("generic", "ev-1", "acme", "won", "h0")
        results.append((job.id, action == "queued"))

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len({job_id for job_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert replicas[0].counts() == {"pending": 1}


def test_two_events_for_one_new_deal_at_once_make_one_job(records: Records, database_url: str) -> None:
    replicas = [JobQueue(records), JobQueue(Records(database_url))]
    created: list[bool] = []
    barrier = threading.Barrier(6)

    def deliver(n: int) -> None:
        barrier.wait()
        created.append(replicas[n % 2].trigger("hubspot", f"ev-{n}", "acme", "won", "h0")[1] == "queued")

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sum(created) == 1
    assert replicas[0].counts() == {"pending": 1}


def test_concurrent_upserts_of_one_deal_keep_every_field(records: Records, database_url: str) -> None:
    other = Records(database_url)
    barrier = threading.Barrier(2)

    def put(r: Records, deal: Deal) -> None:
        barrier.wait()
        r.upsert_deal(deal)

    a = threading.Thread(target=put, args=(records, Deal(deal_id="acme", account="Acme")))
    b = threading.Thread(target=put, args=(other, Deal(deal_id="acme", stage="won")))
    a.start(), b.start()
    a.join(), b.join()
    deal = records.get_deal("acme")
    assert (deal.account, deal.stage) == ("Acme", "won")


def test_jobs_of_a_dead_process_on_this_host_resume_at_once(records: Records) -> None:
    queue = JobQueue(records, lease_seconds=3600)
    job = queue.enqueue("brief", "acme")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    owner = worker_id("w").split("/")
    owner[1] = dead.stdout.strip()  # a process of this host that has exited
    assert queue.claim(owner="/".join(owner)) is not None
    live = queue.enqueue("brief", "busy")
    assert queue.claim(owner=worker_id("alive")).id == live.id  # type: ignore[union-attr]
    assert queue.resume_interrupted() == 1
    assert queue.get(job.id).status == "pending"
    assert queue.get(live.id).status == "running"  # this process still works on it


OLD_SCHEMA = """
CREATE TABLE deals (deal_id TEXT PRIMARY KEY, data TEXT NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL);
CREATE TABLE briefs (id INTEGER PRIMARY KEY AUTOINCREMENT, deal_id TEXT NOT NULL,
    version INTEGER NOT NULL, engine TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'draft', note TEXT,
    sources_hash TEXT NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (deal_id, version));
CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, deal_id TEXT NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, not_before REAL NOT NULL DEFAULT 0,
    payload TEXT NOT NULL DEFAULT '{}', brief_id INTEGER, error TEXT, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL);
"""


def test_a_data_home_from_the_first_release_opens_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "briefgen.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    db.execute("INSERT INTO deals VALUES ('acme', '{\"deal_id\": \"acme\"}', 'x', 'x')")
    db.execute(
        "INSERT INTO briefs(deal_id, version, engine, sources_hash, body, created_at) VALUES (?,?,?,?,?,?)",
        ("acme", 1, "extractive", "h", brief("acme").model_dump_json(), "x"),
    )
    db.execute(
        "INSERT INTO jobs(kind, deal_id, status, created_at, updated_at) VALUES ('brief','acme','running','x','x')"
    )
    db.commit()
    db.close()
    records = Records(path)
    [old] = records.briefs("acme")
    assert old.version == 1 and old.created_by is None
    queue = JobQueue(records)
    job = queue.claim(owner=worker_id("w"))  # left running by a process that had no lease: free to take
    assert job is not None and job.deal_id == "acme"
    records.set_brief_status(old.id, "accepted", reviewed_by="ann")
    assert records.get_brief(old.id).reviewed_by == "ann"


def test_a_bad_database_url_is_one_clear_error_without_the_password() -> None:
    with pytest.raises(ConfigError, match="only sqlite and postgresql"):
        Records("mysql://root:hunter2@db/briefgen")
    with pytest.raises(ConfigError) as info:
        Records("mysql://root:hunter2@db/briefgen")
    assert "hunter2" not in str(info.value)


def test_an_unreachable_database_names_it_without_the_password(postgres: object) -> None:
    from .llm_server import free_port

    url = f"postgresql://briefgen:s3cret-pw@127.0.0.1:{free_port()}/nowhere?connect_timeout=2"
    with pytest.raises(StoreError) as info:
        Records(url)
    message = str(info.value)
    assert "127.0.0.1" in message and "s3cret-pw" not in message


@pytest.mark.slow
def test_the_record_holds_the_same_brief_on_both_backends(tmp_path: Path, postgres: object) -> None:
    """One code path: the extractive brief of an example deal is the same from either backend."""
    from dataclasses import replace

    from briefgen.config import Settings
    from briefgen.embeddings import HashEmbedder
    from briefgen.generate import write_brief
    from briefgen.ingestion import ingest_paths
    from briefgen.store import Store

    from .conftest import EXAMPLES

    bodies = []
    for name, url in (("sqlite", None), ("pg", postgres.new_database())):  # type: ignore[attr-defined]
        settings = replace(Settings.from_env(tmp_path / name), database_url=url, engine="extractive")
        store = Store(settings, embedder=HashEmbedder())
        ingest_paths(store, [EXAMPLES / "acme-logistics"])
        _, record = write_brief(store, "acme-logistics", "extractive")
        assert record is not None
        stored = store.records.latest_brief("acme-logistics")
        assert stored is not None and stored.id == record.id
        body = stored.brief.model_dump(mode="json", exclude={"generated_at", "provenance"})
        bodies.append(body)
        assert [d["deal_id"] for d in store.records.list_deals()] == ["acme-logistics"]
        store.close()
    assert bodies[0] == bodies[1]
    assert bodies[0]["stakeholders"]
    assert os.environ.get("BRIEFGEN_DATABASE_URL") is None  # nothing leaked into the environment


def _source(deal_id: str, source_id: str, content_hash: str) -> SourceRecord:
    return SourceRecord(
        source_id=source_id,
        deal_id=deal_id,
        relpath=f"{source_id}.txt",
        path=None,
        kind="note",
        title=source_id,
        date=None,
        author=None,
        content_hash=content_hash,
        text="Ann wants SSO.",
        raw="Ann wants SSO.",
        meta={},
        chunks=1,
        ingested_at="2026-12-01T00:00:00+00:00",
        updated_at="2026-12-01T00:00:00+00:00",
    )


def _trigger_hash(records: Records, deal_id: str) -> str:
    with records.db.read() as conn:
        return str(
            conn.execute(
                select(tables.triggers.c.sources_hash).where(tables.triggers.c.deal_id == deal_id)
            ).scalar_one()
        )


def test_a_webhook_merges_its_deal_and_records_the_hash_the_record_computes(records: Records) -> None:
    queue = JobQueue(records)
    # A deal the store holds already, with other fields and two sources.
    records.upsert_deal(Deal(deal_id="acme", owner="ann@vendor.example"))
    records.put_source(_source("acme", "acme-b", "h-b"))
    records.put_source(_source("acme", "acme-a", "h-a"))
    job, action = queue.trigger("generic", "ev-1", "acme", "won", deal=Deal(deal_id="acme", account="Acme"))
    assert action == "queued" and job.status == "pending" and job.deal_id == "acme"
    assert job == queue.get(job.id)
    deal = records.get_deal("acme")
    assert (deal.owner, deal.account) == ("ann@vendor.example", "Acme")
    assert _trigger_hash(records, "acme") == records.sources_hash("acme")
    # Nothing new for the deal: the same job, as a duplicate.
    again, action = queue.trigger("generic", "ev-2", "acme", "won", deal=Deal(deal_id="acme", account="Acme"))
    assert (again.id, action) == (job.id, "duplicate")
    # A deal new to the store: inserted, hashed without sources.
    _, action = queue.trigger("generic", "ev-3", "new-co", "won", deal=Deal(deal_id="new-co", stage="won"))
    assert action == "queued" and records.get_deal("new-co").stage == "won"
    assert _trigger_hash(records, "new-co") == records.sources_hash("new-co")
    assert queue.counts() == {"pending": 2}


def test_documents_join_the_pending_job_and_a_replay_changes_nothing(records: Records) -> None:
    queue = JobQueue(records)
    deal = Deal(deal_id="acme", account="Acme")
    first, action = queue.trigger(
        "generic", "ev-1", "acme", "won", deal=deal, files=["/u/1/a.txt"], contents={"/u/1/a.txt": "A"}
    )
    assert action == "queued" and first.payload["ingest"] == ["/u/1/a.txt"]
    second, action = queue.trigger(
        "generic", "ev-2", "acme", "won", deal=deal, files=["/u/2/b.txt"], contents={"/u/2/b.txt": "B"}
    )
    assert (second.id, action) == (first.id, "queued")
    assert second.payload == queue.get(first.id).payload
    assert second.payload["ingest"] == ["/u/1/a.txt", "/u/2/b.txt"]
    # A replay of ev-2 with other files: answered as the duplicate it is, and its files are not
    # merged (the merge happens before the event is met, and rolls back with it).
    replay, action = queue.trigger(
        "generic", "ev-2", "acme", "won", deal=deal, files=["/u/3/c.txt"], contents={"/u/3/c.txt": "C"}
    )
    assert (replay.id, action) == (first.id, "duplicate")
    assert queue.get(first.id).payload["ingest"] == ["/u/1/a.txt", "/u/2/b.txt"]
    assert queue.counts() == {"pending": 1}


def _terminate(postgres: Any, database_url: str, pid: int | None = None) -> None:
    """End server sessions of that database (one, or all but this one), as a restarted server
    or a proxy's idle timeout does, and wait until they are gone."""
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        which = "pid = %s" if pid else "pid <> pg_backend_pid()"
        query = f"SELECT pid FROM pg_stat_activity WHERE datname = %s AND {which}"
        params = (name, pid) if pid else (name,)
        pids = [r[0] for r in conn.execute(query, params).fetchall()]
        assert pids
        for p in pids:
            conn.execute("SELECT pg_terminate_backend(%s)", (p,))
        while conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)).fetchone()[
            0
        ]:  # type: ignore[index]
            time.sleep(0.01)


def test_a_connection_the_server_dropped_is_replaced_at_begin(postgres: Any) -> None:
    url = postgres.new_database()
    queue = JobQueue(Records(url))
    queue.trigger("generic", "ev-1", "acme", "won", deal=Deal(deal_id="acme"))
    _terminate(postgres, url)  # the pooled connection is dead now; the pool does not know
    job, action = queue.trigger("generic", "ev-2", "globex", "won", deal=Deal(deal_id="globex"))
    assert action == "queued" and queue.get(job.id).deal_id == "globex"


def test_a_connection_dropped_at_commit_fails_the_event_and_records_nothing(postgres: Any) -> None:
    url = postgres.new_database()
    records = Records(url)
    queue = JobQueue(records)

    def drop(conn: Any) -> None:  # the server goes away just before COMMIT reaches it
        _terminate(postgres, url, conn.connection.driver_connection.info.backend_pid)

    event.listen(records.db.engine, "commit", drop)
    try:
        with pytest.raises(StoreError):
            queue.trigger("generic", "ev-1", "acme", "won", deal=Deal(deal_id="acme"))
    finally:
        event.remove(records.db.engine, "commit", drop)
    assert queue.counts() == {}
    # What the CRM's retry then finds: nothing of the first delivery, so it is queued.
    _, action = queue.trigger("generic", "ev-1", "acme", "won", deal=Deal(deal_id="acme"))
    assert action == "queued" and queue.counts() == {"pending": 1}


def test_deleting_a_deal_removes_its_rows_and_fails_its_queued_jobs(records: Records) -> None:
    queue = JobQueue(records)
    for deal in ("a", "b"):
        records.upsert_deal(Deal(deal_id=deal, account=deal.upper()))
        records.put_source(_source(deal, f"{deal}-1", "h1"))
        records.add_brief(brief(deal), "hash")
    records.put_sentence_vectors({"ka": b"\0" * 4, "kb": b"\0" * 4})
    mine, theirs = queue.enqueue("brief", "a"), queue.enqueue("brief", "b")

    assert records.delete_deal("a", ["ka"]) == (1, 1, 1)

    assert [d["deal_id"] for d in records.list_deals()] == ["b"]
    assert records.sources("a") == [] and records.brief_versions("a") == []
    assert set(records.get_sentence_vectors(["ka", "kb"])) == {"kb"}
    assert queue.get(mine.id).status == "failed" and queue.get(mine.id).error_type == "NotFound"
    assert queue.get(theirs.id).status == "pending"
    assert len(records.sources("b")) == 1 and len(records.brief_versions("b")) == 1
    with pytest.raises(NotFound):
        records.delete_deal("a", [])

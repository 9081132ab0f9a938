"""Deleting a deal removes everything stored for it, and nothing of any other deal."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from briefgen.deletion import delete_deal
from briefgen.errors import NotFound
from briefgen.evidence import passage_of
from briefgen.generate import write_brief
from briefgen.ingestion import ingest_paths
from briefgen.jobs import JobQueue
from briefgen.sections import text_key
from briefgen.sentences import split_passage
from briefgen.store import Store

from .conftest import EXAMPLES


def test_a_deleted_deal_leaves_nothing_behind_and_its_neighbour_stays(store: Store, tmp_path: Path) -> None:
    ingest_paths(store, [EXAMPLES / "acme-logistics", EXAMPLES / "brightside-bakery"])
    write_brief(store, "acme-logistics", "extractive")
    write_brief(store, "acme-logistics", "extractive")
    write_brief(store, "brightside-bakery", "extractive")
    uploads = store.settings.home / "uploads" / "acme-logistics" / "a1"
    uploads.mkdir(parents=True)
    shutil.copy(EXAMPLES / "acme-logistics" / "deal.json", uploads / "deal.json")
    queue = JobQueue(store.records)
    pending = queue.enqueue("brief", "acme-logistics")
    other_job = queue.enqueue("brief", "brightside-bakery")
    sources = store.records.sources("acme-logistics")
    # The deal's sentences have cached vectors (ingest stores those this process had not seen).
    said = [s.text for r in sources for s in split_passage(passage_of(r))]
    store.records.put_sentence_vectors({text_key(t): b"\0" * 4 for t in said})
    store.records.put_sentence_vectors({text_key("A sentence of another deal."): b"\0" * 4})
    cached = store.records.get_sentence_vectors([text_key(t) for t in said])
    assert len(cached) >= 5
    chunks_before = store.vectors.count("brightside-bakery")

    gone = delete_deal(store, "acme-logistics")

    assert (gone.sources, gone.briefs, gone.uploads, gone.jobs_failed) == (len(sources), 2, 1, 1)
    assert gone.chunks > 0 and store.vectors.count("acme-logistics") == 0
    with pytest.raises(NotFound):
        store.records.get_deal("acme-logistics")
    assert (
        store.records.sources("acme-logistics") == [] and store.records.brief_versions("acme-logistics") == []
    )
    assert not (store.settings.home / "uploads" / "acme-logistics").exists()
    assert queue.get(pending.id).status == "failed" and queue.get(pending.id).error == "the deal was deleted"
    assert queue.get(other_job.id).status == "pending"
    # The cached vectors of the deal's sentences went with it.
    assert store.records.get_sentence_vectors(list(cached)) == {}
    assert store.records.get_sentence_vectors([text_key("A sentence of another deal.")])
    # The other deal is as it was.
    assert store.vectors.count("brightside-bakery") == chunks_before
    assert len(store.records.brief_versions("brightside-bakery")) == 1
    with pytest.raises(NotFound):
        delete_deal(store, "acme-logistics")
    # Ingested again, it is a new deal with its first version to come.
    ingest_paths(store, [EXAMPLES / "acme-logistics"])
    assert write_brief(store, "acme-logistics", "extractive")[1].version == 1  # type: ignore[union-attr]

"""Ingest: deal assignment, idempotence, replacement of changed files, failure isolation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from briefgen.errors import ConfigError
from briefgen.ingest import plan
from briefgen.ingestion import ingest_paths
from briefgen.store import Store

from .conftest import EXAMPLES


def test_folder_of_deal_folders_ingests_every_deal(store: Store) -> None:
    report = ingest_paths(store, [EXAMPLES])
    assert report.ok
    assert sorted(report.deals) == sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())
    deals = {d["deal_id"]: d for d in store.records.list_deals()}
    assert deals["acme-logistics"]["account"] == "Acme Logistics"
    # 4 messages of the mbox, 1 message quoted inside one of them, 1 transcript
    assert deals["helix-health"]["sources"] == 6


def test_every_chunk_carries_its_metadata(store: Store) -> None:
    ingest_paths(store, [EXAMPLES / "acme-logistics"])
    got = store.vectors.collection.get(where={"deal_id": "acme-logistics"}, include=["metadatas"])
    metas = got["metadatas"]
    assert metas
    kinds = {m["kind"] for m in metas}
    assert kinds == {"note", "email", "transcript"}
    for m in metas:
        assert m["deal_id"] == "acme-logistics"
        assert m["source_id"].startswith("src-")
        assert "date" in m
    speakers = {m.get("speaker") for m in metas if m["kind"] == "transcript"}
    assert any(s and "Robert Chen" in s for s in speakers)
    assert any(m.get("speaker") == "Robert Chen" for m in metas if m["kind"] == "email")


def test_reingest_unchanged_adds_nothing(store: Store, deal_dir: Path) -> None:
    first = ingest_paths(store, [deal_dir])
    count = store.vectors.count("acme-logistics")
    ids = [s.source_id for s in store.records.sources("acme-logistics")]
    second = ingest_paths(store, [deal_dir])
    # 3 files; the handoff email also quotes an earlier message, a source of its own
    assert first.added == 4 and first.chunks == count
    assert (second.added, second.updated, second.unchanged, second.chunks) == (0, 0, 4, 0)
    assert store.vectors.count("acme-logistics") == count
    assert [s.source_id for s in store.records.sources("acme-logistics")] == ids


def test_changed_file_replaces_its_chunks(store: Store, deal_dir: Path) -> None:
    ingest_paths(store, [deal_dir])
    note = deal_dir / "2026-09-08-discovery-call.md"
    [rec] = [s for s in store.records.sources("acme-logistics") if s.relpath == note.name]
    before_total = store.vectors.count("acme-logistics")
    note.write_text("# Discovery call\nDate: 2026-09-08\n\nShort replacement text about a pilot.\n")
    report = ingest_paths(store, [deal_dir])
    assert (report.added, report.updated, report.unchanged) == (0, 1, 3)
    [after] = [s for s in store.records.sources("acme-logistics") if s.relpath == note.name]
    assert after.source_id == rec.source_id  # stable id
    assert after.content_hash != rec.content_hash
    got = store.vectors.collection.get(where={"source_id": rec.source_id}, include=["documents", "metadatas"])
    assert got["documents"] == ["# Discovery call\nDate: 2026-09-08\n\nShort replacement text about a pilot."]
    assert {m["content_hash"] for m in got["metadatas"]} == {after.content_hash}
    assert store.vectors.count("acme-logistics") == before_total - rec.chunks + 1


def test_bad_file_is_reported_and_the_rest_still_ingests(store: Store, deal_dir: Path) -> None:
    (deal_dir / "scan.txt").write_bytes(b"\x00\x01\x02binary\x00")
    (deal_dir / "empty.eml").write_bytes(b"")
    (deal_dir / "deck.key").write_bytes(b"xx")
    report = ingest_paths(store, [deal_dir])
    assert report.added == 4
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(reasons) == {"scan.txt", "empty.eml", "deck.key"}
    assert "binary" in reasons["scan.txt"]
    assert "empty" in reasons["empty.eml"]
    assert "unknown format" in reasons["deck.key"]


def test_failed_reingest_keeps_what_was_stored(store: Store, deal_dir: Path) -> None:
    ingest_paths(store, [deal_dir])
    email = deal_dir / "2026-11-18-handoff-email.eml"
    [rec] = [
        s
        for s in store.records.sources("acme-logistics")
        if s.kind == "email" and not s.meta.get("quoted_in")
    ]
    chunks = store.vectors.count(source_id=rec.source_id)
    email.write_bytes(b"\x00\x00 corrupted \x00")
    report = ingest_paths(store, [deal_dir])
    assert [Path(s.path).name for s in report.skipped] == [email.name]
    kept = store.records.get_source(rec.source_id)
    assert kept is not None and kept.content_hash == rec.content_hash
    assert store.vectors.count(source_id=rec.source_id) == chunks


def test_deal_json_names_the_deal_and_override_wins(tmp_path: Path, store: Store) -> None:
    folder = tmp_path / "Some Folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("The customer wants SSO by March.\n")
    (folder / "deal.json").write_text(json.dumps({"deal_id": "crm-42", "account": "Forty Two Inc"}))
    ingest_paths(store, [folder])
    assert store.records.get_deal("crm-42").account == "Forty Two Inc"
    ingest_paths(store, [folder / "notes.txt"], deal_id="other-deal")
    assert [s.relpath for s in store.records.sources("other-deal")] == ["notes.txt"]


def test_folder_name_is_the_deal_id_without_deal_json(tmp_path: Path) -> None:
    folder = tmp_path / "Globex Renewal"
    folder.mkdir()
    (folder / "a.txt").write_text("hello there customer\n")
    groups, problems = plan([folder])
    assert [g.deal_id for g in groups] == ["Globex-Renewal"]
    assert not problems


def test_invalid_deal_json_is_reported_with_field(tmp_path: Path) -> None:
    folder = tmp_path / "d1"
    folder.mkdir()
    (folder / "a.txt").write_text("hello there customer\n")
    (folder / "deal.json").write_text(json.dumps({"deal_id": "d1", "amount": "lots"}))
    groups, problems = plan([folder])
    assert [g.deal_id for g in groups] == ["d1"]
    assert len(problems) == 1 and "amount" in problems[0].reason and "deal.json" in problems[0].path


def test_invalid_deal_id_is_refused() -> None:
    with pytest.raises(ConfigError, match="not valid"):
        plan([EXAMPLES], deal_override="../etc")


def test_missing_path_is_reported(store: Store, tmp_path: Path) -> None:
    report = ingest_paths(store, [tmp_path / "nope"])
    assert report.skipped and "no such file" in report.skipped[0].reason


def test_retrieval_never_crosses_deals(examples_store: Store) -> None:
    for deal in ("acme-logistics", "helix-health", "quarry-media"):
        hits = examples_store.vectors.query(deal, "security review and compliance", k=20)
        assert hits
        assert {h.metadata["deal_id"] for h in hits} == {deal}


def test_stale_chunks_from_an_interrupted_update_are_cleaned(store: Store, deal_dir: Path) -> None:
    """A crash after new chunks were written but before the old ones were deleted leaves
    extra chunks; the next ingest of the unchanged file removes them."""
    from briefgen.vectors import Chunk

    ingest_paths(store, [deal_dir])
    [rec] = [
        s
        for s in store.records.sources("acme-logistics")
        if s.kind == "email" and not s.meta.get("quoted_in")
    ]
    before = store.vectors.count(source_id=rec.source_id)
    store.vectors.add(
        [
            Chunk(
                id=f"{rec.source_id}:deadbeef:0",
                text="orphan from a newer version",
                metadata={
                    "deal_id": "acme-logistics",
                    "source_id": rec.source_id,
                    "kind": "email",
                    "content_hash": "deadbeef",
                },
            )
        ]
    )
    assert store.vectors.count(source_id=rec.source_id) == before + 1
    ingest_paths(store, [deal_dir])
    assert store.vectors.count(source_id=rec.source_id) == before


def test_copy_of_examples_is_independent(tmp_path: Path) -> None:
    # Guard for the fixtures above: the examples themselves are never modified by tests.
    dst = tmp_path / "copy"
    shutil.copytree(EXAMPLES, dst)
    assert sorted(p.name for p in dst.iterdir()) == sorted(p.name for p in EXAMPLES.iterdir())


def test_a_store_without_an_index_reads_whole_deals_and_says_when_it_cannot(store: Store) -> None:
    """The eval suite's scratch store for the extractive engine embeds no passages; a brief
    that would need retrieval fails with a clear error instead of reading nothing."""
    from briefgen.evidence import gather

    bare = Store(store.settings, store.embedder, index=False)
    report = ingest_paths(bare, [EXAMPLES / "acme-logistics"])
    assert report.ok and report.chunks > 0
    assert bare._vectors is None  # the index was never opened
    assert gather(bare, "acme-logistics").mode == "full"
    with pytest.raises(ConfigError, match="keeps no index"):
        gather(bare, "acme-logistics", budget_chars=100)


def test_a_deal_counts_as_updated_when_one_of_its_files_changes(store: Store, tmp_path: Path) -> None:
    import time

    deal = tmp_path / "brightside-bakery"
    shutil.copytree(EXAMPLES / "brightside-bakery", deal)
    ingest_paths(store, [deal])
    [before] = store.records.list_deals()
    time.sleep(1.1)  # stamps are to the second
    note = next(p for p in deal.iterdir() if p.suffix == ".txt")
    note.write_text(note.read_text() + "\nThey also asked for a second training day.\n")
    assert ingest_paths(store, [deal]).updated == 1
    [after] = store.records.list_deals()
    assert after["updated_at"] > before["updated_at"]

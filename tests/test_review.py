"""The review workspace's library: versions and their review, item editing with picked
evidence, uploads as jobs with progress, the deal list."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from briefgen.config import Settings
from briefgen.editing import deal_sentences, item_values, put_item, remove_item, save_version
from briefgen.errors import ConfigError, Conflict
from briefgen.generate import write_brief
from briefgen.ingestion import ingest_paths
from briefgen.jobs import JobQueue
from briefgen.render import render
from briefgen.schema import Brief, Deal, Evidence, Risk
from briefgen.store import Store
from briefgen.uploads import LARGE, SMALL, queue_upload, upload_limit
from briefgen.versions import default_version, review, with_review
from briefgen.worker import UPLOAD_KINDS, Worker

from .conftest import EXAMPLES


@pytest.fixture
def acme(store: Store) -> Store:
    report = ingest_paths(store, [EXAMPLES / "acme-logistics"])
    assert not report.skipped
    return store


@pytest.mark.slow
def test_versions_review_and_stale_actions(acme: Store) -> None:
    records = acme.records
    _, r1 = write_brief(acme, "acme-logistics", "extractive", created_by="ana")
    assert r1 is not None
    v1 = records.brief_info(r1.id)
    assert default_version(records.brief_versions("acme-logistics")) == v1  # only a draft: shown
    with pytest.raises(ConfigError, match="say why"):
        review(records, r1.id, False, "  ", "maria", v1.seen)
    accepted = review(records, r1.id, True, "", "maria", v1.seen)
    assert (accepted.status, accepted.reviewed_by) == ("accepted", "maria") and accepted.reviewed_at
    # a second reviewer still looking at the draft state is refused, and told who acted
    with pytest.raises(Conflict, match="accepted by maria"):
        review(records, r1.id, False, "wrong owner", "omar", v1.seen)
    _, r2 = write_brief(acme, "acme-logistics", "extractive", created_by="ana")
    assert r2 is not None
    infos = records.brief_versions("acme-logistics")
    assert [i.version for i in infos] == [1, 2]
    assert default_version(infos).version == 1  # the accepted one opens by default
    # acting on version 1 once version 2 exists is refused, naming the newer version
    with pytest.raises(Conflict, match="version 2 was saved by ana"):
        review(records, r1.id, False, "late", "omar", records.brief_info(r1.id).seen)
    returned = review(records, r2.id, False, "Missing the SSO owner", "omar", records.brief_info(r2.id).seen)
    assert returned.note == "Missing the SSO owner"
    # the review travels with the brief into JSON and Markdown
    shown = with_review(records.get_brief(r2.id))
    data = json.loads(render(shown, "json"))
    assert data["review"]["status"] == "returned" and data["review"]["reviewed_by"] == "omar"
    assert data["review"]["reason"] == "Missing the SSO owner" and data["review"]["reviewed_at"]
    md = render(shown, "md")
    assert "**Review:** version 2, returned by omar at" in md and "Missing the SSO owner" in md
    assert "returned by omar" in render(shown, "html")
    # older JSON without a review still loads
    del data["review"]
    assert Brief.model_validate(data).review is None


@pytest.mark.slow
def test_edit_items_with_picked_evidence(acme: Store) -> None:
    _, base = write_brief(acme, "acme-logistics", "extractive", created_by="ana")
    assert base is not None
    brief = base.brief
    sentences = deal_sentences(acme, "acme-logistics")
    assert sentences and all("|" in v for _, v in sentences)
    values, picked = item_values(brief, "goals", 0)
    edited = put_item(acme, brief, "goals", 0, {**values, "text": "Cut dispatch time in half"}, picked)
    sso = next(v for label, v in sentences if "SSO" in label or "Okta" in label)
    risks_before = len(edited.risks)
    edited = put_item(
        acme,
        edited,
        "risks",
        None,
        {"text": "SSO rollout may slip", "severity": "high", "category": "technical"},
        [sso],
    )
    assert edited.goals[0].text == "Cut dispatch time in half"
    assert len(edited.risks) == risks_before + 1 and edited.risks[-1].severity.value == "high"
    edited = remove_item(edited, "next_steps", 0) if edited.next_steps else edited
    with pytest.raises(ConfigError, match="pick at least one sentence"):
        put_item(acme, brief, "goals", None, {"text": "No evidence"}, [])
    with pytest.raises(ConfigError, match="not a date"):
        put_item(acme, brief, "commitments", None, {"text": "Training", "due": "next Tuesday-ish"}, [sso])
    fake = "src-000000000000|The customer agreed to pay double next year for nothing."
    with pytest.raises(ConfigError, match="not in the deal's sources"):
        put_item(acme, brief, "goals", None, {"text": "Made up"}, [fake])
    new_brief, record = save_version(acme, base, edited, "maria")
    assert record.version == base.version + 1 and record.created_by == "maria"
    assert new_brief.engine == "extractive (edited)"
    assert new_brief.provenance.edited_from == base.version  # type: ignore[attr-defined]
    # summarised again: the summary counts the added high risk
    high = sum(r.severity.value == "high" for r in new_brief.risks)
    assert f"{len(new_brief.risks)} risks ({high} high)" in new_brief.summary
    assert "Main goal: Cut dispatch time in half" in new_brief.summary
    # a fabricated quote that bypasses the form (forged draft) cannot be saved either
    forged = new_brief.model_copy(deep=True)
    forged.risks.append(
        Risk(
            description="Invented",
            evidence=[
                Evidence(source_id=forged.sources[0].id, quote="We promised a free data centre in Mars.")
            ],
        )
    )
    before = len(acme.records.brief_versions("acme-logistics"))
    with pytest.raises(ConfigError, match="not in the deal's sources"):
        save_version(acme, record, forged, "mallory")
    assert len(acme.records.brief_versions("acme-logistics")) == before  # nothing stored


@pytest.mark.slow
def test_deal_without_sources_is_unknown_risk_in_the_list(store: Store) -> None:
    from briefgen.ui import deal_rows

    store.records.upsert_deal(
        Deal(deal_id="empty", account="Nobody Yet", owner="Dana Ruiz <dana@x.test>", close_date="2026-11-30")
    )
    brief, record = write_brief(store, "empty", "extractive")
    assert brief.handoff_risk.level.value == "unknown" and record is not None
    [row] = deal_rows(store)
    assert row[:5] == ["empty", "Nobody Yet", "", "Dana Ruiz", "2026-11-30"]
    assert row[5] == "none · handoff risk unknown" and row[6].startswith("v1 draft")
    assert deal_rows(store, "dana 2026") == [row] and deal_rows(store, "acme") == []


@pytest.mark.slow
def test_uploads_queue_refuse_over_limit_and_small_ones_never_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sizes scaled down so the test is quick: "large" from 3 KB, small chunks and batches.
    monkeypatch.setattr("briefgen.uploads.SMALL_BYTES", 3000)
    monkeypatch.setattr("briefgen.ingestion._EMBED_BATCH", 8)
    monkeypatch.setattr("briefgen.ingestion._SENTENCE_BATCH", 16)
    settings = Settings(
        home=tmp_path / "home", max_file_bytes=3 * 1024 * 1024, chunk_size=200, chunk_overlap=20
    )
    store = Store(settings)
    queue = JobQueue(store.records)
    assert upload_limit(settings) == 3 * 1024 * 1024
    big = tmp_path / "big.txt"
    big.write_text(
        "".join(f"Weekly sync {n}: the rollout covers depot {n} this quarter.\n" for n in range(60))
    )
    too_big = tmp_path / "huge.txt"
    too_big.write_bytes(b"a" * (3 * 1024 * 1024 + 1))
    with pytest.raises(ConfigError, match=r"'huge.txt' is 3 MB: files over 3 MB are refused"):
        queue_upload(store, queue, {"deal_id": "huge"}, [too_big], "ana")
    with pytest.raises(ConfigError, match="amount 'lots' is not a number"):
        queue_upload(store, queue, {"deal_id": "x", "amount": "lots"}, [], "ana")
    with pytest.raises(Exception, match="no deal 'huge'"):
        store.records.get_deal("huge")  # refused before anything was stored
    large = queue_upload(store, queue, {"deal_id": "big-deal"}, [big], "ana")
    small_files = []
    for p in sorted((EXAMPLES / "brightside-bakery").iterdir()):
        if p.name != "deal.json":
            small_files.append(Path(shutil.copy(p, tmp_path / p.name)))
    small = queue_upload(store, queue, {"deal_id": "bakery", "account": "Brightside"}, small_files, "omar")
    assert large is not None and small is not None
    assert (large.kind, small.kind) == (LARGE, SMALL) and large.id < small.id
    workers = Worker(store, queue, kinds=UPLOAD_KINDS)
    # the small-only lane takes the later small job while the large one is still pending
    assert workers.run_once((SMALL,)) is True
    assert queue.get(small.id).status == "done" and queue.get(large.id).status == "pending"
    report = queue.progress(small.id)
    assert report is not None and report.report and "added" in report.report
    assert store.records.sources("bakery")
    # the large one reports progress inside its one file
    notes: list[str] = []
    original = queue.set_progress

    def spy(job_id: int, done: int, total: int, note: str, report: str | None = None) -> None:
        notes.append(note)
        original(job_id, done, total, note, report)

    queue.set_progress = spy  # type: ignore[method-assign]
    assert workers.run_once() is True
    assert queue.get(large.id).status == "done"
    embedded = [n for n in notes if "passages embedded" in n]
    assert len(embedded) >= 2 and embedded[0] != embedded[-1]
    assert any("sentences read" in n for n in notes)
    store.close()

"""`BRIEFGEN_CHROMA_URL` against a real Chroma server (`chroma run` on 127.0.0.1): the same
chunks, the same retrieval and the same retrieval-mode brief as the embedded store, with
briefgen's own embedding function (never chromadb's default, which downloads a model)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from briefgen.config import Settings
from briefgen.embeddings import default_embedder
from briefgen.evidence import SECTION_QUERIES
from briefgen.generate import write_brief
from briefgen.ingestion import ingest_paths
from briefgen.store import Store

from .conftest import EXAMPLES

DEALS = ["acme-logistics", "brightside-bakery"]


@pytest.mark.slow
def test_a_chroma_server_retrieves_what_the_embedded_store_does(
    tmp_path: Path, chroma_server: object
) -> None:
    embedder = default_embedder()
    # Small chunks and a small evidence budget, so the brief is written from retrieval.
    base = replace(
        Settings.from_env(tmp_path / "x"), chunk_size=300, chunk_overlap=50, evidence_budget_chars=1000
    )
    url = chroma_server.url  # type: ignore[attr-defined]
    local = Store(replace(base, home=tmp_path / "embedded"), embedder=embedder)
    remote = Store(replace(base, home=tmp_path / "client", chroma_url=url), embedder=embedder)
    for store in (local, remote):
        report = ingest_paths(store, [EXAMPLES / d for d in DEALS])
        assert not report.skipped
    assert not (tmp_path / "client" / "chroma").exists()  # the server holds the vectors
    assert remote.vectors.count() == local.vectors.count() > 20

    # The collection on the server carries briefgen's embedding function by name.
    config = remote.vectors.collection.configuration_json
    assert config["embedding_function"]["name"] == "briefgen"

    for deal in DEALS:
        for query in SECTION_QUERIES.values():
            near = local.vectors.query(deal, query, k=5)
            far = remote.vectors.query(deal, query, k=5)
            assert [c.id for c in far] == [c.id for c in near], query
            assert [c.text for c in far] == [c.text for c in near]
            for a, b in zip(near, far, strict=True):
                assert a.distance == pytest.approx(b.distance, abs=1e-4)
            assert {c.metadata["deal_id"] for c in far} == {deal}  # never another deal's text

    briefs = []
    for store in (local, remote):
        brief, _ = write_brief(store, "acme-logistics", "extractive")
        assert brief.provenance.evidence_mode == "retrieval"
        briefs.append(brief.model_dump(mode="json", exclude={"generated_at", "provenance"}))
    assert briefs[0] == briefs[1]

    # Re-ingesting through the server adds nothing, as with the embedded store.
    again = ingest_paths(remote, [EXAMPLES / d for d in DEALS])
    assert again.added == again.updated == 0 and again.unchanged > 0
    assert remote.vectors.count() == local.vectors.count()
    local.close()
    remote.close()


def test_an_unreachable_chroma_server_is_one_clear_error(tmp_path: Path) -> None:
    from briefgen.embeddings import HashEmbedder
    from briefgen.errors import StoreError

    from .llm_server import free_port

    settings = replace(Settings.from_env(tmp_path), chroma_url=f"http://127.0.0.1:{free_port()}")
    store = Store(settings, embedder=HashEmbedder())
    with pytest.raises(StoreError, match=r"cannot open the vector store at http://127\.0\.0\.1"):
        _ = store.vectors
    store.close()

"""Deleting a deal: its record, sources, brief versions, passages in the vector index, the
cached vectors of its sentences and the files uploaded for it, so that nothing said in it
stays in the data home."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from .errors import NotFound
from .evidence import passage_of
from .sections import text_key
from .sentences import split_passage
from .store import Store


@dataclass(frozen=True)
class Deleted:
    deal_id: str
    sources: int
    briefs: int
    chunks: int
    jobs_failed: int
    uploads: int  # files uploaded through the form or the API


def delete_deal(store: Store, deal_id: str) -> Deleted:
    """Remove the deal, or raise NotFound and remove nothing. The record goes first, in one
    transaction: if the vector index then fails, what stays behind are passages no deal owns,
    and deleting again removes them."""
    keys = [text_key(s.text) for r in store.records.sources(deal_id) for s in split_passage(passage_of(r))]
    try:
        sources, briefs, jobs = store.records.delete_deal(deal_id, sorted(set(keys)))
    except NotFound:
        if store.index and store.vectors.delete_deal(deal_id):
            return Deleted(deal_id, 0, 0, 0, 0, 0)  # a deletion the vector index failed before
        raise
    chunks = store.vectors.delete_deal(deal_id) if store.index else 0
    return Deleted(deal_id, sources, briefs, chunks, jobs, _remove_uploads(store, deal_id))


def _remove_uploads(store: Store, deal_id: str) -> int:
    root = (store.settings.home / "uploads").resolve()
    folder = (root / deal_id).resolve()
    if folder.parent != root or not folder.is_dir():
        return 0  # a deal id never names a folder outside the uploads
    files = sum(1 for p in folder.rglob("*") if p.is_file())
    shutil.rmtree(folder)
    return files

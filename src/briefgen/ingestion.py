"""Files in, chunks and records out: load -> clean -> chunk -> embed -> store, per deal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import IngestError
from .ingest import DealFiles, SourceDocument, load_file, plan, source_id_for
from .passage import Passage
from .records import SourceRecord, now
from .schema import Deal
from .sections import warm
from .sentences import split_passage
from .store import Store
from .vectors import Chunk


@dataclass
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class FileDone:
    """One file handled (stored, unchanged or skipped), for a progress display."""

    path: str
    files_done: int
    files_total: int
    chunks: int  # chunks this file added


# Steps inside one file, for a progress display: (what, done, total).
Step = Callable[[str, int, int], None]
_EMBED_BATCH = 16
_SENTENCE_BATCH = 256


@dataclass
class IngestReport:
    deals: list[str] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks: int = 0
    files: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.skipped


def _relpath(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.name


def split_text(text: str, size: int, overlap: int) -> list[tuple[int, str]]:
    """Character-based chunks with their start offsets (no tokenizer download needed)."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=overlap, add_start_index=True)
    docs = splitter.create_documents([text])
    return [(int(d.metadata.get("start_index", 0)), d.page_content) for d in docs]


def _chunk_metadata(
    deal_id: str, source_id: str, doc: SourceDocument, text: str, digest: str
) -> dict[str, str]:
    meta = {
        "deal_id": deal_id,
        "source_id": source_id,
        "kind": doc.kind,
        "content_hash": digest,
    }
    if doc.date:
        meta["date"] = doc.date
    if doc.kind == "transcript":
        speakers = [s for s in doc.meta.get("speakers", []) if f"{s}:" in text]
        if speakers:
            meta["speaker"] = ", ".join(speakers)
    elif doc.author:
        meta["speaker"] = doc.author
    return meta


def ingest_document(
    store: Store,
    deal_id: str,
    doc: SourceDocument,
    relpath: str,
    path: Path | None,
    step: Step | None = None,
) -> str:
    """Store one source; returns 'added', 'updated' or 'unchanged'. A large source is embedded
    in batches, and `step` hears after each one."""
    source_id = source_id_for(deal_id, relpath, doc.part)
    digest = doc.content_hash  # once per source: hashing per chunk grew with size x chunks
    existing = store.records.get_source(source_id)
    if existing is not None and existing.content_hash == digest:
        # A previous run may have died between writing new chunks and deleting old ones.
        if store.index:
            store.vectors.delete_stale(source_id, digest)
        return "unchanged"
    pieces = split_text(doc.text, store.settings.chunk_size, store.settings.chunk_overlap)
    chunks = [
        Chunk(
            id=f"{source_id}:{digest[:12]}:{i}",
            text=piece,
            metadata={**_chunk_metadata(deal_id, source_id, doc, piece, digest), "start": start},
        )
        for i, (start, piece) in enumerate(pieces)
    ]
    # Order matters for crash safety: new chunks first, then the record that makes
    # them current, then removal of the old ones. Readers only trust chunks whose
    # hash matches the record, so every intermediate state is consistent.
    if step:
        step("passages embedded", 0, len(chunks))
    for start in range(0, len(chunks) if store.index else 0, _EMBED_BATCH):
        store.vectors.add(chunks[start : start + _EMBED_BATCH])
        if step:
            step("passages embedded", min(start + _EMBED_BATCH, len(chunks)), len(chunks))
    stamp = now()
    store.records.put_source(
        SourceRecord(
            source_id=source_id,
            deal_id=deal_id,
            relpath=relpath,
            path=str(path) if path else None,
            kind=doc.kind,
            title=doc.title,
            date=doc.date,
            author=doc.author,
            content_hash=digest,
            text=doc.text,
            raw=doc.raw,
            meta={**doc.meta, "part": doc.part} if doc.part else doc.meta,
            chunks=len(chunks),
            ingested_at=existing.ingested_at if existing else stamp,
            updated_at=stamp,
        )
    )
    if store.index:
        store.vectors.delete_stale(source_id, digest)
    # The sentences every engine will read, embedded once here for the section classifier.
    passage = Passage(source_id, doc.text, doc.kind, doc.title, doc.date, doc.author, meta=doc.meta)
    texts = [s.text for s in split_passage(passage)]
    for start in range(0, len(texts), _SENTENCE_BATCH):
        warm(texts[start : start + _SENTENCE_BATCH], store.records)
        if step:
            step("sentences read", min(start + _SENTENCE_BATCH, len(texts)), len(texts))
    return "updated" if existing else "added"


def ingest_group(
    store: Store,
    group: DealFiles,
    report: IngestReport,
    progress: Callable[[FileDone], None] | None = None,
    files_total: int = 0,
    step: Step | None = None,
) -> None:
    deal = group.deal or Deal(deal_id=group.deal_id)
    store.records.upsert_deal(deal.model_copy(update={"deal_id": group.deal_id}))
    report.deals.append(group.deal_id)
    for path in group.files:
        chunks_before = report.chunks
        if step:
            step(f"reading {path.name}", 0, 0)
        try:
            docs = load_file(path, store.settings.max_file_bytes)
        except IngestError as exc:
            report.skipped.append(Skipped(exc.path, exc.reason))
            docs = []
        relpath = _relpath(path, group.root)
        for doc in docs:
            outcome = ingest_document(store, group.deal_id, doc, relpath, path, step)
            setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome != "unchanged":
                rec = store.records.get_source(source_id_for(group.deal_id, relpath, doc.part))
                report.chunks += rec.chunks if rec else 0
        report.files += 1
        if progress:
            progress(FileDone(str(path), report.files, files_total, report.chunks - chunks_before))


def ingest_paths(
    store: Store,
    paths: list[Path],
    deal_id: str | None = None,
    progress: Callable[[FileDone], None] | None = None,
    step: Step | None = None,
) -> IngestReport:
    groups, problems = plan(paths, deal_id)
    report = IngestReport(skipped=[Skipped(p.path, p.reason) for p in problems])
    total = sum(len(g.files) for g in groups)
    for group in groups:
        ingest_group(store, group, report, progress, total, step)
    return report

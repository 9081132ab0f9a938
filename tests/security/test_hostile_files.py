"""Malformed and hostile files: each gets a clear reason, memory stays bounded, nothing stored
is lost. Loaders and webhook parsers are fuzzed; crashing inputs found are kept as cases."""

from __future__ import annotations

import contextlib
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefgen.errors import IngestError, UnreadableSource
from briefgen.ingest import LOADERS, load_file
from briefgen.ingestion import ingest_paths
from briefgen.store import Store
from briefgen.webhooks import (
    BadInput,
    Unauthorized,
    parse_generic,
    parse_hubspot,
    parse_pipedrive,
    parse_salesforce,
)

LIMIT = 50 * 1024 * 1024


def test_a_200_mb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "huge.txt"
    with big.open("wb") as f:
        f.truncate(200 * 1024 * 1024)  # sparse: no 200 MB written, same size reported
    with pytest.raises(UnreadableSource, match="over the 52 MB limit"):
        load_file(big, LIMIT)


def test_zip_bomb_docx_is_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"\0" * (300 * 1024 * 1024))
    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(buf.getvalue())
    assert bomb.stat().st_size < 1024 * 1024
    with pytest.raises(UnreadableSource, match="would expand to"):
        load_file(bomb, LIMIT)


def test_deeply_nested_multipart(tmp_path: Path) -> None:
    depth = 400
    parts = ["From: a@b.com\nSubject: nested\nMIME-Version: 1.0\n"]
    for i in range(depth):
        parts.append(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n')
    parts.append("Content-Type: text/plain\n\nthe innermost text\n")
    for i in reversed(range(depth)):
        parts.append(f"--b{i}--\n")
    p = tmp_path / "nested.eml"
    p.write_text("".join(parts))
    try:
        [doc] = load_file(p, LIMIT)
        assert "innermost" in doc.text
    except IngestError as exc:  # too deep to parse: a reason, not a crash
        assert exc.reason


def test_truncated_mime_and_huge_single_line(tmp_path: Path) -> None:
    t = tmp_path / "cut.eml"
    t.write_text(
        'From: a@b.com\nSubject: x\nContent-Type: multipart/mixed; boundary="q"\n\n--q\n'
        "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\nSGVsbG8gd29y"
    )
    try:
        load_file(t, LIMIT)
    except IngestError as exc:
        assert str(t) in str(exc)
    line = tmp_path / "line.txt"
    line.write_text("The customer wants SSO. " * 200_000)  # ~4.8 MB on one line
    [doc] = load_file(line, LIMIT)
    assert len(doc.text) > 4_000_000


def test_a_bad_file_never_replaces_a_good_one(store: Store, tmp_path: Path) -> None:
    deal = tmp_path / "d"
    deal.mkdir()
    good = deal / "notes.txt"
    good.write_text("Ann wants SSO by March 2027.\n")
    ingest_paths(store, [deal])
    before = {s.source_id: s.content_hash for s in store.records.sources("d")}
    for payload in (b"", b"\x00\x01\x02" * 100, b"\xff\xfe\x00\x00" * 10):
        good.write_bytes(payload)
        report = ingest_paths(store, [deal])
        assert report.skipped and report.added == report.updated == 0
        assert {s.source_id: s.content_hash for s in store.records.sources("d")} == before


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("suffix", sorted(LOADERS))
@FUZZ
@given(data=st.binary(max_size=4096))
def test_loaders_fuzz(tmp_path: Path, suffix: str, data: bytes) -> None:
    p = tmp_path / f"fuzz{suffix}"
    p.write_bytes(data)
    try:
        docs = load_file(p, LIMIT)
    except IngestError as exc:
        assert str(p) in str(exc) and exc.reason
        return
    for doc in docs:
        assert isinstance(doc.text, str) and doc.text.strip()


SEEDS = [
    b"",
    b"[]",
    b"{}",
    b"[{}]",
    b'[{"eventId": 1}]',
    b"<x/>",
    b"\xff\xfe",
    b'{"meta": {}}',
    b'{"meta": {"action": "change"}, "data": {"status": "won"}}',
    b"<?xml version='1.0'?><a><b>",
]


@FUZZ
@given(
    body=st.one_of(st.binary(max_size=2048), st.sampled_from(SEEDS), st.text(max_size=512).map(str.encode))
)
def test_webhook_parsers_fuzz(body: bytes) -> None:
    for parse in (
        lambda b: parse_hubspot(b, "closedwon"),
        parse_pipedrive,
        parse_generic,
        lambda b: parse_salesforce(b, ("00D000000000001",), "Closed Won"),
    ):
        with contextlib.suppress(BadInput, Unauthorized):
            parse(body)


def test_content_is_hashed_once_per_file_not_once_per_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hashing the whole text for every chunk made a 20 MB one-line file cost 20 MB x 20,000.
    import hashlib

    import briefgen.ingest.document as document
    from briefgen.config import Settings
    from briefgen.embeddings import HashEmbedder

    store = Store(Settings.from_env(tmp_path / "home"), embedder=HashEmbedder())

    hashed: list[int] = []
    real = hashlib.sha256

    class Counting:
        def __init__(self) -> None:
            self.inner = real()

        def update(self, data: bytes) -> None:
            hashed.append(len(data))
            self.inner.update(data)

        def hexdigest(self) -> str:
            return self.inner.hexdigest()

    monkeypatch.setattr(document.hashlib, "sha256", Counting)
    deal = tmp_path / "one-line"
    deal.mkdir()
    text = "The customer wants SSO for every site. " * 2_000  # ~78 KB on one line, one sentence
    (deal / "notes.txt").write_text(text)
    ingest_paths(store, [deal])
    [rec] = store.records.sources("one-line")
    assert rec.chunks > 50
    whole_text_hashes = sum(1 for n in hashed if n >= len(text.strip()))
    assert whole_text_hashes == 1, whole_text_hashes

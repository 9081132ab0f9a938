"""Every loader reads 100 KB of adversarial input in bounded time: HTML parsed by a parser that is
linear on malformed markup, reply detection bounded, no backtracking pattern in the transcript
readers. The bound is generous (5 s, against minutes before) so that a loaded machine cannot
make it flake; bench/loader_time.py measures the real numbers."""

from __future__ import annotations

import contextlib
import io
import json
import time
from pathlib import Path

import pytest

from briefgen.errors import IngestError
from briefgen.ingest import load_file
from briefgen.ingest.text import html_to_text

BOUND_S = 5.0
N = 100_000
HEAD = "From: a@b.com\nSubject: s\nDate: Mon, 2 Nov 2026 09:00:00 +0000\n"

ADVERSARIAL = {
    "spaces between capitals": ("Ab " + " " * 50) * (N // 53),
    "capitalised words": "Ab Cd " * (N // 6),
    "letters": "a" * N,
    "angle brackets": "<" * N,
    "open tags": "<a " * (N // 3),
    "comments": "<!--" * (N // 4),
    "processing instructions": "<?" * (N // 2),
    "voice tags": "<v " * (N // 3),
    "header-like lines": "Ab: x\n" * (N // 6),
    "reply lines": "On a wrote:\n" * (N // 12),
    "dash lines": "--\n" * (N // 3),
    "sign-offs": "thanks\n" * (N // 7),
    "quote marks": "> " * (N // 2),
}


def _file(kind: str, text: str) -> tuple[str, bytes]:
    if kind == "note":
        return "x.txt", text.encode()
    if kind == "email":
        return "x.eml", (HEAD + "\n" + text).encode()
    if kind == "html email":
        return "x.eml", (HEAD + "Content-Type: text/html\n\n" + text).encode()
    if kind == "mbox":
        return "x.mbox", ("From x@y Mon Nov  2 09:00:00 2026\n" + HEAD + "\n" + text).encode()
    if kind == "vtt":
        return "x.vtt", ("WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n" + text).encode()
    if kind == "srt":
        return "x.srt", ("1\n00:00:01,000 --> 00:00:05,000\n" + text).encode()
    if kind == "json":
        return "x.json", json.dumps([{"speaker": "A", "text": text}]).encode()
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    buf = io.BytesIO()
    document.save(buf)
    return "x.docx", buf.getvalue()


KINDS = ["note", "email", "html email", "mbox", "vtt", "srt", "json", "docx"]


def _load(path: Path) -> None:
    # A clear refusal is as good as a reading; the time is what is checked.
    with contextlib.suppress(IngestError):
        load_file(path, 50 * 1024 * 1024)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_loader_is_bounded_on_adversarial_input(tmp_path: Path, kind: str) -> None:
    warm_name, warm = _file(kind, "Warm-up. On Mon, Nov 2, 2026 at 9:00 AM Ann <a@b.com> wrote:\n> hi\n")
    (tmp_path / warm_name).write_bytes(warm)
    _load(tmp_path / warm_name)  # libraries load their data once; that is not what is measured
    slow = []
    for label, text in ADVERSARIAL.items():
        name, data = _file(kind, text)
        path = tmp_path / name
        path.write_bytes(data)
        started = time.perf_counter()
        _load(path)
        spent = time.perf_counter() - started
        if spent > BOUND_S:
            slow.append(f"{label}: {spent:.1f}s")
    assert not slow, f"{kind} loader is slow on {slow}"


def test_html_keeps_visible_text_only() -> None:
    text = html_to_text(
        "<html><head><title>T</title><style>p{}</style></head><body><p>Kickoff is <b>Dec 2</b>.</p>"
        "<div style='display: none'>HIDDEN <i>words</i></div>after<script>x()</script>"
        "<ul><li>one</li><li>two</li></ul><!-- a comment --><p>&amp; caf&eacute;</p></body></html>"
    )
    assert "Kickoff is Dec 2." in text and "- one" in text and "- two" in text and "& café" in text
    assert "HIDDEN" not in text and "words" not in text and "x()" not in text and "comment" not in text
    assert "after" in text
    assert html_to_text("\x00<p>a</p>") == "a" and html_to_text("") == ""

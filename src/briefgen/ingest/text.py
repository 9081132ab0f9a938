"""Bytes to clean text: charset detection, binary detection, HTML to text."""

from __future__ import annotations

import html
import re
from typing import Any

from ..errors import EmptySource, UnreadableSource

_LATIN1_NAMES = {"iso-8859-1", "latin-1", "latin1", "iso8859-1", "l1", "us-ascii", "ascii"}
_CONTROL = set(range(0, 9)) | {11, 12} | set(range(14, 32))


def looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text carries NULs legitimately
    if b"\0" in head:
        return True
    controls = sum(1 for b in head if b in _CONTROL)
    return controls / len(head) > 0.05


def decode_bytes(data: bytes, path: str, declared: str | None = None) -> str:
    """Decode with the declared charset, then UTF-8, then Windows-1252.

    Windows-1252 decodes almost anything, which is what mail from older clients
    without a charset needs; a failed declared charset is not fatal.
    """
    if looks_binary(data):
        raise UnreadableSource(path, "looks like binary data, not text")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _not_binary(data.decode("utf-16", errors="replace"), path)
    if declared and declared.lower().replace("_", "-") in _LATIN1_NAMES:
        # Mail labelled Latin-1 is almost always Windows-1252 (curly quotes, dashes in 0x80-0x9f).
        declared = "cp1252"
    candidates = [c for c in (declared, "utf-8", "cp1252") if c]
    for charset in candidates:
        try:
            return _not_binary(data.decode(charset), path)
        except (LookupError, UnicodeDecodeError):
            continue
    return _not_binary(data.decode("latin-1"), path)


def _not_binary(text: str, path: str) -> str:
    """Text that decodes but is mostly control characters (a UTF-16 BOM on binary data, say)."""
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r")
    if sample and controls / len(sample) > 0.05:
        raise UnreadableSource(path, "looks like binary data, not text")
    return text


def normalise_newlines(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def require_text(text: str, path: str) -> str:
    if not text.strip():
        raise EmptySource(path, "contains no text")
    return text


_BLOCK = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "ul",
        "ol",
        "blockquote",
        "section",
        "article",
        "hr",
    ]
)
_SKIP = frozenset({"script", "style", "head", "title", "noscript", "template"})
_VOID = frozenset({"br", "hr", "img", "meta", "input", "link", "wbr", "col", "area", "base", "source"})


def _hidden(style: str) -> bool:
    # Text styled invisible is a classic place to hide instructions to a model;
    # keep it out of what engines read.
    style = style.replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def html_to_text(markup: str) -> str:
    """Visible text of an HTML body: blocks on their own lines, table cells kept apart.

    libxml2's HTML parser (through lxml) is linear on malformed markup; CPython's
    html.parser re-scans from each unclosed "<" and took minutes on 100 KB of "<a "."""
    from lxml import etree

    # NUL and other C0 controls make libxml2 stop early; they carry no text.
    markup = _HTML_CONTROLS.sub(" ", markup)
    if not markup.strip():
        return ""
    parser = etree.HTMLParser(recover=True, no_network=True, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(markup, parser)
    except (etree.LxmlError, ValueError):
        root = None
    if root is None:
        return normalise_newlines(html.unescape(_ANY_TAG.sub(" ", markup)))
    parts: list[str] = []
    cells: list[int] = [0]  # cells seen in the current table row
    inside: list[int] = [0]  # table cells open around the current element
    skipped: set[Any] = set()
    # Iterative walk: deeply nested markup cannot exhaust the stack.
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if skipped or tag in _SKIP or _hidden(el.get("style") or ""):
                skipped.add(el)
                continue
            if tag in _BLOCK:
                # A paragraph inside a cell (Word saves every cell as <td><p>...</p></td>) keeps
                # its row on one line.
                parts.append(" " if inside[0] and tag not in ("tr", "table") else "\n")
            if tag == "li":
                parts.append("- ")
            if tag == "tr":
                cells[0] = 0
            elif tag in ("td", "th"):
                # Cells of one row stay one line, kept apart as a Markdown table row would be.
                if cells[0]:
                    parts.append(" | ")
                cells[0] += 1
                inside[0] += 1
            if el.text:
                parts.append(_in_cell(el.text) if inside[0] else el.text)
        else:
            if el in skipped:
                skipped.discard(el)
            elif tag in ("td", "th"):
                inside[0] = max(0, inside[0] - 1)
            elif tag in _BLOCK and tag != "br" and not skipped:
                # A <br> breaks a line (a signature's name, title, company); a block ends one.
                parts.append(" " if inside[0] and tag not in ("tr", "table") else "\n")
            if el.tail and not skipped:
                # The line break a source puts between two cells of a row is not the row's end.
                tail = " " if tag in ("td", "th") and el.tail.isspace() else el.tail
                parts.append(_in_cell(tail) if inside[0] else tail)
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n")]
    return normalise_newlines("\n".join(lines))


def _in_cell(text: str) -> str:
    # A cell is one line of its row: the source's line breaks inside it (Word indents every
    # <p> of a cell on a line of its own) are layout, not the row's end.
    return text.replace("\n", " ")


_HTML_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ANY_TAG = re.compile(r"<[^<>]{0,2000}>")
_SPACES = re.compile(r"[ \t]+")

"""Bytes to clean text: charset detection, binary detection, HTML to text."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import ClassVar

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


class _HTMLText(HTMLParser):
    _BLOCK: ClassVar[set[str]] = {
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
    }
    _SKIP: ClassVar[set[str]] = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.hidden_depth = 0
        self.cells = 0  # cells seen in the current table row

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skip_depth += 1
        style = (dict(attrs).get("style") or "").replace(" ", "").lower()
        # Text styled invisible is a classic place to hide instructions to a model;
        # keep it out of what engines read.
        hidden = self.hidden_depth or "display:none" in style or "visibility:hidden" in style
        if hidden and tag not in ("br", "hr", "img", "meta", "input"):
            self.hidden_depth += 1
        if tag in self._BLOCK:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "tr":
            self.cells = 0
        elif tag in ("td", "th"):
            # Cells of one row stay one line, kept apart as a Markdown table row would be.
            if self.cells:
                self.parts.append(" | ")
            self.cells += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self.skip_depth:
            self.skip_depth -= 1
        if self.hidden_depth and tag not in ("br", "hr", "img", "meta", "input"):
            self.hidden_depth -= 1
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth and not self.hidden_depth:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _HTMLText()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # html.parser is lenient; this guards pathological input only
        return normalise_newlines(html.unescape(re.sub(r"<[^>]+>", " ", markup)))
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in "".join(parser.parts).split("\n")]
    return normalise_newlines("\n".join(lines))

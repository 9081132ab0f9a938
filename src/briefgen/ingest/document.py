"""What every loader produces: one SourceDocument per source (an mbox yields many)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SourceDocument:
    kind: str  # note | email | transcript | document
    title: str
    text: str  # cleaned text that engines read and citations quote
    raw: str  # the full original, for display
    date: str | None = None  # ISO date
    author: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    # Distinguishes several sources inside one file (messages of an mbox).
    part: str = ""

    @property
    def content_hash(self) -> str:
        h = hashlib.sha256()
        for piece in (self.kind, self.title, self.date or "", self.author or "", self.text):
            h.update(piece.encode("utf-8"))
            h.update(b"\0")
        return h.hexdigest()


def source_id_for(deal_id: str, relpath: str, part: str = "") -> str:
    """Stable across runs and machines: derived from the deal and the file's place in it."""
    key = f"{deal_id}\0{relpath}\0{part}".encode()
    return "src-" + hashlib.sha1(key).hexdigest()[:12]

"""A span of one source: what evidence gathering hands to the reading of a deal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Passage:
    """A span of one source that an engine may read and quote."""

    source_id: str
    text: str
    kind: str
    title: str
    date: str | None = None
    author: str | None = None
    start: int = 0  # offset of `text` inside the source's text
    partial: bool = False  # a retrieved chunk rather than the whole source
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

"""The one interface every engine implements: `write(deal, evidence) -> Brief`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from ..schema import Brief, Deal


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


class Engine(ABC):
    name: str = "engine"

    @abstractmethod
    def write(self, deal: Deal, evidence: list[Passage]) -> Brief:
        """Write a brief for `deal` from `evidence` only. Quotes must come from the passages."""

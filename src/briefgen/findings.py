"""What an engine returns: findings that cite the deal's sentences by number.

An engine decides which sentences say what (a goal, a risk, a promise) and may word an item
itself; it never writes quotes. The pipeline (`assemble`) turns sentence numbers into quotes,
reads the fields an engine left open from the cited sentences, and builds the Brief once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .schema import ITEM_SECTIONS, Evidence, Severity

# Brief sections an engine finds, in the order a brief shows them; `changes` are the deal's
# revisions, read by rules for every engine.
SECTIONS: tuple[str, ...] = tuple(s for s in ITEM_SECTIONS if s != "changes")


@dataclass
class Finding:
    section: str  # one of SECTIONS, or "handoff_risk" for a handoff factor
    ids: tuple[int, ...]  # sentence numbers (`Sentence.order`) it rests on, first the main one
    text: str | None = None  # the item's own words; None shows the first sentence as said
    fields: dict[str, Any] = field(default_factory=dict)  # section fields the engine decided
    # Evidence that is not a sentence of the reading (an attendee line, a signature), checked
    # against the sources like any quote.
    quotes: list[Evidence] = field(default_factory=list)


@dataclass
class Findings:
    engine: str
    items: list[Finding] = field(default_factory=list)
    handoff_level: Severity | None = None  # the engine's own view; rules are added later
    unknown_ids: int = 0  # citations of sentence numbers the reading does not have
    provenance: dict[str, Any] = field(default_factory=dict)

    def in_section(self, section: str) -> list[Finding]:
        return [f for f in self.items if f.section == section]

"""Gathering the passages an engine may read for one deal.

A deal that fits the budget is given whole (one passage per source). A larger deal is
reduced to the chunks that retrieval ranks highest for each brief section, and the brief's
provenance says so; nothing is silently truncated.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError
from .passage import Passage
from .records import SourceRecord
from .store import Store

SECTION_QUERIES: dict[str, str] = {
    "goals": "the customer's goals, desired outcomes and why they bought",
    "stakeholders": "who is involved: names, titles, roles, sponsor, champion, decision maker",
    "success_criteria": "success metrics: baseline, target number and date",
    "risks": "concerns, risks, blockers, security review, compliance, someone leaving",
    "commitments": "what we promised: features, deliverables, training, discounts, at no extra cost",
    "timeline": "kickoff, go-live, milestones and dates",
    "open_questions": "open questions and unknowns",
    "next_steps": "next steps and action items",
    "handoff": "who owns the rollout day to day, implementation length, hand over",
    "commercial": "price, term, discount, renewal, competitors",
}


@dataclass
class Gathered:
    """The passages for one deal, the sources they come from, and how they were chosen."""

    passages: list[Passage]
    sources: list[SourceRecord]
    mode: str  # "full" | "retrieval"


def passage_of(rec: SourceRecord, text: str | None = None, start: int = 0) -> Passage:
    """A stored source as engines and the sentence splitter read it (`text`: a part of it, at
    `start`)."""
    return Passage(
        source_id=rec.source_id,
        partial=text is not None,
        text=rec.text if text is None else text,
        kind=rec.kind,
        title=rec.title,
        date=rec.date,
        author=rec.author,
        start=start,
        meta=rec.meta,
    )


def gather(store: Store, deal_id: str, budget_chars: int | None = None, per_section: int = 6) -> Gathered:
    sources = store.records.sources(deal_id)
    budget = store.settings.evidence_budget_chars if budget_chars is None else budget_chars
    total = sum(len(s.text) for s in sources)
    if total <= budget:
        return Gathered([passage_of(s) for s in sources], sources, "full")
    if not store.index:
        raise ConfigError(f"deal {deal_id!r} exceeds the evidence budget and this store keeps no index")
    by_id = {s.source_id: s for s in sources}
    chosen: dict[str, Passage] = {}
    used = 0
    for query in SECTION_QUERIES.values():
        for chunk in store.vectors.query(deal_id, query, k=per_section):
            rec = by_id.get(str(chunk.metadata.get("source_id")))
            # Only chunks of the source's current version count (see ingestion's write order).
            if rec is None or chunk.metadata.get("content_hash") != rec.content_hash:
                continue
            if chunk.id in chosen or used + len(chunk.text) > budget:
                continue
            chosen[chunk.id] = passage_of(rec, chunk.text, int(chunk.metadata.get("start", 0) or 0))
            used += len(chunk.text)
    return Gathered(list(chosen.values()), sources, "retrieval")

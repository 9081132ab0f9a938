"""Which brief section a document's heading names, read by meaning rather than by word lists.

A heading ("Agreed success measures", "Open points", "Deliverables") is compared with a short
description of each section in the MiniLM space the classifier already uses; it names the
nearest section when the two are close and no other section is nearly as close. Headings that
name no section ("Scope", "Background", "Pricing") name none, and the classifier reads the
sentences under them alone.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .embeddings import default_embedder

# What each section holds, in the words a document's heading for it might use.
DESCRIPTIONS = {
    "goals": "goals: what the customer wants to achieve",
    "success_criteria": "success criteria: how success is measured, targets and metrics",
    "risks": "risks: concerns and blockers",
    "commitments": "commitments: what the vendor promised to deliver, included in the offer",
    "timeline": "timeline: dates, milestones and schedule",
    "open_questions": "open questions: what is still unknown",
    "next_steps": "next steps: actions to do next",
}
# Cosine similarity a heading needs to its nearest section, and its lead over the runner-up.
MIN_SIMILARITY = 0.35
MIN_LEAD = 0.1


@lru_cache(maxsize=1)
def _sections() -> np.ndarray:
    return np.asarray(default_embedder().embed(list(DESCRIPTIONS.values())))


@lru_cache(maxsize=4096)
def heading_section(heading: str) -> str | None:
    """The section `heading` names, or None."""
    if not heading.strip():
        return None
    sims = _sections() @ np.asarray(default_embedder().embed([heading]))[0]
    order = np.argsort(-sims)
    best, second = float(sims[order[0]]), float(sims[order[1]])
    if best < MIN_SIMILARITY or best - second < MIN_LEAD:
        return None
    return list(DESCRIPTIONS)[int(order[0])]

"""Citation verification. Models are not trusted with citations: every quote is checked
against the source it cites, moved to the source that really contains it, or dropped.

Matching normalises whitespace, case, quote marks and dashes; a quote that is not found
exactly may still verify by fuzzy match at FUZZY_THRESHOLD, and is then replaced by the
source's own text so that what the brief shows is verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from .schema import ITEM_SECTIONS, Brief, Evidence, Item

FUZZY_THRESHOLD = 0.9
MIN_QUOTE_CHARS = 8

_TRANSLATE = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "–": "-",
        "—": "-",
        "\u00a0": " ",
        "…": "...",
        # Sources are sent to models with double quotes turned into single ones.
        '"': "'",
    }
)


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(_TRANSLATE)).strip().casefold()


def quotable(text: str) -> bool:
    """Is `text` long enough to be verified as a quote? Shorter ones (a bare name) are refused."""
    return len(normalise(text)) >= MIN_QUOTE_CHARS


def _normalise_with_map(text: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, the offset in the original."""
    out: list[str] = []
    offsets: list[int] = []
    prev_space = True
    for i, ch in enumerate(text):
        c = ch.translate(_TRANSLATE)
        if c.isspace():
            if prev_space:
                continue
            out.append(" ")
            offsets.append(i)
            prev_space = True
            continue
        for piece in c.casefold():
            out.append(piece)
            offsets.append(i)
        prev_space = False
    return "".join(out), offsets


@dataclass
class Located:
    source_id: str
    quote: str  # verbatim text of the source


class Verifier:
    def __init__(self, sources: dict[str, str]) -> None:
        self.sources = sources
        self._norm = {sid: _normalise_with_map(text) for sid, text in sources.items()}

    def locate_in(self, source_id: str, quote: str) -> str | None:
        if source_id not in self.sources:
            return None
        if not quotable(quote):
            return None
        q = normalise(quote)
        text = self.sources[source_id]
        norm, offsets = self._norm[source_id]
        pos = norm.find(q)
        if pos >= 0:
            start, end = offsets[pos], offsets[pos + len(q) - 1] + 1
            return text[start:end]
        return self._fuzzy(text, norm, offsets, q)

    def _fuzzy(self, text: str, norm: str, offsets: list[int], q: str) -> str | None:
        matcher = SequenceMatcher(None, norm, q, autojunk=False)
        best: tuple[float, int, int] = (0.0, 0, 0)
        # Anchor on the longest common blocks and score a window of the quote's length there.
        for block in matcher.get_matching_blocks()[:-1]:
            if block.size < min(12, len(q) // 3):
                continue
            start = max(0, block.a - block.b)
            for s in (start, max(0, start - 3), start + 3):
                window = norm[s : s + len(q)]
                ratio = SequenceMatcher(None, window, q, autojunk=False).ratio()
                if ratio > best[0]:
                    best = (ratio, s, s + len(window))
        ratio, s, e = best
        if ratio < FUZZY_THRESHOLD or e <= s:
            return None
        return text[offsets[s] : offsets[e - 1] + 1]

    def locate(self, source_id: str, quote: str) -> Located | None:
        found = self.locate_in(source_id, quote)
        if found is not None:
            return Located(source_id, found)
        for other in self.sources:
            if other != source_id:
                found = self.locate_in(other, quote)
                if found is not None:
                    return Located(other, found)
        return None


@dataclass
class GroundingReport:
    checked: int = 0
    verified: int = 0
    reattributed: int = 0
    dropped_unverified: int = 0
    dropped_items: int = 0


def _verify_item(item: Item, verifier: Verifier, report: GroundingReport) -> bool:
    kept: list[Evidence] = []
    for ev in item.evidence:
        report.checked += 1
        found = verifier.locate(ev.source_id, ev.quote)
        if found is None:
            report.dropped_unverified += 1
            continue
        if found.source_id != ev.source_id:
            report.reattributed += 1
        report.verified += 1
        if all(k.quote != found.quote or k.source_id != found.source_id for k in kept):
            kept.append(Evidence(source_id=found.source_id, quote=found.quote))
    item.evidence = kept
    return bool(kept)


def verify_brief(brief: Brief, sources: dict[str, str], keep_unsupported: bool = False) -> GroundingReport:
    """Verify every quote in place; items left with no verified evidence are removed."""
    verifier = Verifier(sources)
    report = GroundingReport()
    for section in ITEM_SECTIONS:
        items = getattr(brief, section)
        kept = []
        for item in items:
            had_evidence = bool(item.evidence)
            ok = _verify_item(item, verifier, report)
            if ok or (keep_unsupported and not had_evidence):
                kept.append(item)
            else:
                report.dropped_items += 1
        setattr(brief, section, kept)
    factors = []
    for factor in brief.handoff_risk.factors:
        if _verify_item(factor, verifier, report):
            factors.append(factor)
        else:
            report.dropped_items += 1
    brief.handoff_risk.factors = factors
    return report


def is_verbatim(brief: Brief, sources: dict[str, str]) -> tuple[int, int]:
    """(quotes that are exact substrings of their cited source, all quotes)."""
    total = ok = 0
    for _, item in brief.items():
        for ev in item.evidence:
            total += 1
            if ev.quote and ev.quote in sources.get(ev.source_id, ""):
                ok += 1
    return ok, total

"""Dates a deal calls off: "the 3 March workshop is cancelled". A milestone on such a date
leaves the timeline and the brief's changes say it was called off, whatever engine chose it."""

from __future__ import annotations

import re
from datetime import date

from .dates import find_dates, parse_date
from .schema import Change, Evidence, Milestone
from .sentences import Sentence

# Done, not possible: "cancelled", not "can cancel" (a contract's exit clause is no event).
_CALLED_OFF = re.compile(
    r"\b(?:cancell?ed|called off|scrapped|(?:is|are|was|were) off\b|won't (?:go ahead|happen)|"
    r"will not (?:go ahead|happen)|no longer (?:happening|planned|going ahead)|"
    r"abgesagt|storniert|annul[ée]e?s?|cancelad[oa]s?|annullat[oa])",
    re.I,
)


def called_off(sentences: list[Sentence]) -> dict[date, Sentence]:
    """Each calendar date a sentence says is called off, with the first sentence saying so."""
    out: dict[date, Sentence] = {}
    for s in sentences:
        if not _CALLED_OFF.search(s.text):
            continue
        for _, value in find_dates(s.text, parse_date(s.date), s.day_first):
            if value is not None:
                out.setdefault(value, s)
    return out


def without_called_off(
    timeline: list[Milestone], off: dict[date, Sentence]
) -> tuple[list[Milestone], list[Change]]:
    """Milestones on a date the deal calls off leave the timeline; a change records each."""
    kept: list[Milestone] = []
    changes: list[Change] = []
    for m in timeline:
        day = _iso_day(m.date)
        s = off.get(day) if day else None
        if s is None:
            kept.append(m)
            continue
        quotes = [e for e in m.evidence if e.quote != s.text][:1]
        changes.append(
            Change(
                field=f"{m.kind} on {m.date}" if m.kind != "other" else f"event on {m.date}",
                previous=m.text,
                current="called off",
                evidence=[*quotes, Evidence(source_id=s.source_id, quote=s.text)],
            )
        )
    return kept, changes


def _iso_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None

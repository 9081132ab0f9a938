"""Facts a later source revised (a price, a term, a go-live date): the first and the latest
value, each with the sentence that states it. Read from the deal, whatever engine wrote the rest."""

from __future__ import annotations

import re
from collections import defaultdict

from .dates import find_dates
from .schema import Change, Evidence
from .sentences import Sentence

_MONEY = re.compile(r"(?:[$€]\s?\d[\d,]*(?:\.\d+)?[kKmM]?|\bEUR\s?\d[\d,]*)")
_TERM = re.compile(r"\b(\d+)[- ]month term\b", re.I)


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def revisions(sentences: list[Sentence]) -> list[Change]:
    slots: dict[str, list[tuple[str, Sentence]]] = defaultdict(list)
    for s in sentences:
        text = s.text
        if re.search(r"\b(?:price|pricing|priced|annual|per year|quote)\b", text, re.I):
            money = _MONEY.findall(text)
            if money:
                slots["price"].append((money[-1], s))
        term = _TERM.search(text)
        if term:
            slots["term"].append((f"{term.group(1)} months", s))
        if re.search(r"\bgo[- ]?live\b", text, re.I):
            dates = [v for _, v in find_dates(text) if v]
            if dates and not re.search(r"\b(?:first|the rest)\b", text, re.I):
                slots["go-live date"].append((dates[0].isoformat(), s))
    changes: list[Change] = []
    for field_name, values in slots.items():
        ordered = sorted(values, key=lambda v: (v[1].date or "", v[1].order))
        first_value, first = ordered[0]
        last_value, last = ordered[-1]
        if _norm(first_value) != _norm(last_value):
            changes.append(
                Change(
                    field=field_name,
                    previous=first_value,
                    current=last_value,
                    evidence=[
                        Evidence(source_id=first.source_id, quote=first.text),
                        Evidence(source_id=last.source_id, quote=last.text),
                    ],
                )
            )
    return changes

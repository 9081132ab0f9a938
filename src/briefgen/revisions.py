"""Facts a later source revised (a price, a term, a go-live date): the first and the latest
value, each with the sentence that states it. Read from the deal, whatever engine wrote the rest."""

from __future__ import annotations

import re
from collections import defaultdict

from .amounts import find_money, key
from .dates import find_dates, parse_date
from .schema import Change, Evidence
from .sentences import Sentence

_TERM = re.compile(r"\b(\d+)[- ]month term\b", re.I)


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def revisions(sentences: list[Sentence], terms: set[int]) -> list[Change]:
    """`terms`: the sentences that state the deal's own commercial terms (by the section
    classifier), so that a competitor's quote or a budget figure is not read as our price."""
    # (value as shown, value as compared, sentence) per fact
    slots: dict[str, list[tuple[str, str, Sentence]]] = defaultdict(list)
    for s in sentences:
        text = s.text
        if s.order in terms and re.search(r"\b(?:price|pricing|priced|annual|per year|quote)\b", text, re.I):
            money = find_money(text)
            if money:
                slots["price"].append((money[-1].phrase, key(money[-1]), s))
        term = _TERM.search(text)
        if term:
            months = f"{term.group(1)} months"
            slots["term"].append((months, months, s))
        if re.search(r"\bgo[- ]?live\b", text, re.I):
            dates = [v for _, v in find_dates(text, parse_date(s.date)) if v]
            if dates and not re.search(r"\b(?:first|the rest)\b", text, re.I):
                slots["go-live date"].append((dates[0].isoformat(), dates[0].isoformat(), s))
    changes: list[Change] = []
    for field_name, values in slots.items():
        ordered = sorted(values, key=lambda v: (v[2].date or "", v[2].order))
        first_value, first_key, first = ordered[0]
        last_value, last_key, last = ordered[-1]
        if _norm(first_key) != _norm(last_key):
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

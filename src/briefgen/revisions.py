"""Facts a later source revised (a price, a term, a go-live date): the first and the latest
value, each with the sentence that states it. Read from the deal, whatever engine wrote the rest."""

from __future__ import annotations

import re
from collections import defaultdict

from .amounts import find_money, key
from .dates import find_dates, parse_date
from .reading import text_key
from .schema import Change, Evidence
from .sentences import Sentence

# How sure the classifier must be that a sentence states the deal's terms for its amount to count
# as the deal's price.
TERMS_CONFIDENCE = 0.5
_TERM = re.compile(r"\b(\d+)[- ]month term\b", re.I)


Slots = dict[str, list[tuple[str, str, Sentence]]]  # per fact: (value as shown, as compared, sentence)


def _slots(sentences: list[Sentence], terms: set[int]) -> Slots:
    """Each revisable fact's values in the order they were stated, oldest first.
    `terms`: the sentences that state the deal's own commercial terms (by the section
    classifier), so that a competitor's quote or a budget figure is not read as our price."""
    slots: Slots = defaultdict(list)
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
            dates = [v for _, v in find_dates(text, parse_date(s.date), s.day_first) if v]
            if dates and not re.search(r"\b(?:first|the rest)\b", text, re.I):
                slots["go-live date"].append((dates[0].isoformat(), dates[0].isoformat(), s))
    return {
        name: sorted(values, key=lambda v: (v[2].date or "", v[2].order)) for name, values in slots.items()
    }


def superseded(sentences: list[Sentence], terms: set[int]) -> set[int]:
    """The sentences that state a price or a term a later one replaced (the first quote's):
    not what the customer was finally sold. A go-live date is left alone: a sentence naming
    one with another date ("training before go-live, on 1 March") is no revision of it."""
    out: set[int] = set()
    for name, values in _slots(sentences, terms).items():
        if name not in ("price", "term"):
            continue
        latest = text_key(values[-1][1])
        out |= {s.order for _, compared, s in values if text_key(compared) != latest}
    return out


def revisions(sentences: list[Sentence], terms: set[int]) -> list[Change]:
    """The facts whose latest value differs from the first, old and new with their sentences."""
    changes: list[Change] = []
    for field_name, ordered in _slots(sentences, terms).items():
        first_value, first_key, first = ordered[0]
        last_value, last_key, last = ordered[-1]
        if text_key(first_key) != text_key(last_key):
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

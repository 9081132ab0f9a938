"""Facts a later source revised (a price, a term, a go-live date): the first and the latest
value, each with the sentence that states it. Read from the deal, whatever engine wrote the rest."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date

from .amounts import Money, find_money, key
from .dates import date_spans, is_date_word, parse_date
from .reading import text_key
from .schema import Change, Evidence
from .sentences import Sentence

# How sure the classifier must be that a sentence states the deal's terms for its amount to count
# as the deal's price.
TERMS_CONFIDENCE = 0.5
# Words that say an amount is the deal's price rather than a fee or a budget.
_PRICE_WORDS = re.compile(
    r"\b(?:price|pricing|priced|annual|annually|per year|a year|per annum|p\.a|quote|proposal|offer)\b|/\s?(?:year|yr)\b",
    re.I,
)
_ONE_OFF = re.compile(r"\b(?:implementation|setup|set-up|onboarding|one-off|one-time|once)\b", re.I)
_TERM = re.compile(r"\b(\d+)[- ]month term\b", re.I)


_GO_LIVE = re.compile(r"\bgo[- ]?live\b", re.I)
# Which go-live, when a deal has several: "Phase 1", "P2", "Wave 3".
_STAGE = re.compile(r"\b(phase|wave|stage|p|w)\s?(\d{1,2})\b", re.I)
_CAPITALISED = re.compile(r"^[A-Z][\w'’-]+$")
# At most this many characters between a go-live and its date: one said after it ("go-live
# Hall A 15.03.2027") may be further away than one said before it ("13 Sep Darwin go-live").
NEAR_AFTER, NEAR_BEFORE = 40, 15


def _go_lives(s: Sentence) -> list[tuple[str, date]]:
    """Each go-live the sentence dates, and which one it is ("" for the deal's only one). Its
    date is the one said right after "go-live", else right before it: in "kick-off 07.01,
    go-live 15.02" the go-live is on the 15th."""
    if not _GO_LIVE.search(s.text):
        return []  # most sentences: no dates read for them
    spans = [(a, b, v) for a, b, v in date_spans(s.text, parse_date(s.date), s.day_first) if v]
    out: list[tuple[str, date]] = []
    for g in _GO_LIVE.finditer(s.text):
        after = [d for d in spans if 0 <= d[0] - g.end() <= NEAR_AFTER]
        before = [d for d in spans if 0 <= g.start() - d[1] <= NEAR_BEFORE]
        if not (after or before):
            continue
        day = (after[0] if after else before[-1])[2]
        if after and s.text.count("|") >= 2:
            # A table row: a later column revises an earlier one ("| P1 go-live | 7 Jun | 5 Jul |").
            day = [d for d in spans if d[0] > g.end()][-1][2]
        out.append((_which(s.text, g, after[0][0] if after else None), day))
    return out


def _which(text: str, g: re.Match[str], date_at: int | None) -> str:
    """What a go-live is of: a phase or wave named on its line before it ("P1 North — go-live",
    "Phase 2: go-live"), else a name right before it ("Darwin go-live") or between it and its
    date ("go-live Hall A 15.03")."""
    line = text.rfind("\n", 0, g.start()) + 1
    stages = list(_STAGE.finditer(text, line, g.start()))
    if stages:
        kind = stages[-1].group(1).lower()
        return f"{ {'p': 'phase', 'w': 'wave'}.get(kind, kind) } {stages[-1].group(2)}"
    words = text[line : g.start()].split()
    if len(words) >= 2 and _CAPITALISED.match(words[-1]) and not is_date_word(words[-1]):
        return words[-1]
    between = text[g.end() : date_at].strip(" :") if date_at is not None else ""
    named = between.split()
    if named and _CAPITALISED.match(named[0]) and not is_date_word(named[0]) and len(named) <= 2:
        return between
    return ""


# Said just before an amount, these make it what the price was or would have been ("down from
# $12,000", "list is £275", "instead of 2.900 EUR"), not what it is.
_WAS = re.compile(
    r"(?:\bfrom|\bwas|\bwere|\binstead of|\blist(?: price)?(?: is| was)?|\bnormally|\busually|"
    r"\brather than|\bnot)[\s:(]*$",
    re.I,
)


def _stated_price(text: str) -> Money | None:
    """The price a sentence states: its last amount that is not said as a former or list one
    ("Price: $6,000 a year, down from $12,000" states $6,000). A line with only a list price
    ("at list: £66,000") states that, for a later price to replace."""
    found = find_money(text)
    current = [m for m in found if not _WAS.search(text[max(0, m.start - 24) : m.start])]
    return current[-1] if current else (found[-1] if found else None)


Slots = dict[str, list[tuple[str, str, Sentence]]]  # per fact: (value as shown, as compared, sentence)
_FEE = "implementation fee"
# The facts whose earlier values are no longer what was sold (a go-live date is only moved).
_REPLACED = ("price", _FEE, "term")


def _slots(sentences: list[Sentence], terms: set[int]) -> Slots:
    """Each revisable fact's values in the order they were stated, oldest first.
    `terms`: the sentences that state the deal's own commercial terms (by the section
    classifier), so that a competitor's quote or a budget figure is not read as our price."""
    slots: Slots = defaultdict(list)
    for s in sentences:
        text = s.text
        if s.order in terms and _PRICE_WORDS.search(text):
            price = _stated_price(text)
            if price is not None:
                # A one-off fee and the recurring price are revised on their own.
                slot = _FEE if _ONE_OFF.search(text) else "price"
                slots[slot].append((price.phrase, key(price), s))
        term = _TERM.search(text)
        if term:
            months = f"{term.group(1)} months"
            slots["term"].append((months, months, s))
        if not re.search(r"\b(?:first|the rest)\b", text, re.I):
            for which, day in _go_lives(s):
                name = f"go-live date ({which})" if which else "go-live date"
                slots[name].append((day.isoformat(), day.isoformat(), s))
    return {
        name: sorted(values, key=lambda v: (v[2].date or "", v[2].order)) for name, values in slots.items()
    }


def superseded(sentences: list[Sentence], terms: set[int]) -> set[int]:
    """The sentences that state a price or a term a later one replaced (the first quote's):
    not what the customer was finally sold. A go-live date is left alone: a sentence naming
    one with another date ("training before go-live, on 1 March") is no revision of it."""
    out: set[int] = set()
    for name, values in _slots(sentences, terms).items():
        if name not in _REPLACED:
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

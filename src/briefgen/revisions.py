"""Facts a later source revised (a price, a seat count, a term, a go-live or kick-off date): the
first and the latest value, each with the sentence that states it. Read from the deal, whatever
engine wrote the rest."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .amounts import Money, find_money, key
from .dates import date_spans, is_date_word, parse_date, period_words
from .numerals import numerals
from .reading import text_key
from .schema import Change, Evidence
from .sentences import Sentence

# How sure the classifier must be that a sentence states the deal's terms for its amount to count
# as the deal's price.
TERMS_CONFIDENCE = 0.5
# Words that say an amount is the deal's price rather than a fee or a budget, in the languages
# European deals are written in as well ("68 400 € HT/an", "24.000 EUR jährlich", "Angebot").
_PRICE_WORDS = re.compile(
    r"\b(?:price|pricing|priced|annual|annually|per year|a year|per annum|p\.a|quote|proposal|offer|"
    r"prix|tarif|par an|abonnement|preis|angebot|pro jahr|jährlich|precio|oferta|al año|por año|anual|"
    r"prezzo|offerta|all'anno|annuo|annuale|prijs|offerte|per jaar|jaarlijks|preço|por ano)\b|"
    r"/\s?(?:year|yr|an|jahr|año|anno|jaar|ano)\b",
    re.I,
)
_ONE_OFF = re.compile(
    r"\b(?:implementation|setup|set-up|onboarding|one-off|one-time|mise en (?:œuvre|oeuvre|place)|"
    r"einrichtung|einmalig|implantación|implementación|puesta en marcha|implementazione|avviamento|"
    r"una tantum|eenmalig|implementatie|implantação)\b",
    re.I,
)
_TERM = re.compile(r"\b(\d+)[- ]month term\b", re.I)
# "Month" and "year" as a duration or a period, in English and (from dateparser's data) the other
# languages deals are written in; "Mon." is German notes' own short form.
_MONTH_WORDS = ("months", "month", "mths", "mth", "mos", "mo", "mon", *period_words("month"))
_YEAR_WORDS = ("years", "year", "yrs", "yr", *period_words("year"))
# A contract's length as its terms state it ("Term: 24 months", "3 yr term", "a 24-month
# commitment", "three years at $36,000"): a duration of a year or more on a line of the deal's
# terms that speaks of the contract or its price. Shorter ones are lead times and windows.
_DURATION = re.compile(
    rf"\b(\d{{1,2}}|one|two|three|four|five)[- ]?({'|'.join(_MONTH_WORDS + _YEAR_WORDS)})\b"
    r"(?![-‐]?\s?(?:old|ago))",
    re.I,
)
_CONTRACT = re.compile(
    r"\b(?:term|contract|commit(?:ment|ted)?|agreement|subscription|locked|fixed|contrat|engagement|durée|"
    r"vertrag|laufzeit|contrato|duración|contratto|durata|looptijd)\b",
    re.I,
)
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


def _term(text: str, stated: bool) -> tuple[str, str] | None:
    """The contract term a line states, as shown and in months; `stated`: a line of the terms."""
    old = _TERM.search(text)
    if old:
        return f"{old.group(1)} months", old.group(1)
    if not stated or not (_CONTRACT.search(text) or find_money(text)):
        return None
    for m in _DURATION.finditer(text):
        if text[max(0, m.start() - 1) : m.start()] == "-":
            continue  # "twenty-four month": a number this pattern reads only in part
        word = m.group(1).lower()
        n = int(word) if word.isdigit() else _NUMBER_WORDS[word]
        years = m.group(2).lower() in _YEAR_WORDS
        months = n * 12 if years else n
        if months >= 12:
            return (f"{n} year{'s' * (n > 1)}" if years else f"{n} months"), str(months)
    return None


# The dated milestones a deal moves: a go-live, a kick-off, a pilot, a trial's end, a cut-over.
_MILESTONE = re.compile(r"\b(?:(go[- ]?live)|(kick[- ]?off)|(pilot)|(trial)|(cut[- ]?over))\b", re.I)
_MILESTONE_NAMES = ("go-live", "kick-off", "pilot", "trial", "cut-over")
# Which go-live, when a deal has several: "Phase 1", "P2", "Wave 3".
_STAGE = re.compile(r"\b(phase|wave|stage|p|w)\s?(\d{1,2})\b", re.I)
_CAPITALISED = re.compile(r"^[A-Z][\w'’-]+$")
# At most this many characters between a go-live and its date: one said after it ("go-live
# Hall A 15.03.2027") may be further away than one said before it ("13 Sep Darwin go-live").
NEAR_AFTER, NEAR_BEFORE = 40, 15


# "from 11 Jan → 25 Jan", "moved from 6 Sept to 27 Sept": the second date replaces the first. A
# plain "from ... to ..." is a span ("pilot from 1 March to 30 April"), a move only when the
# line says it moved.
_MOVED_FROM = re.compile(r"\bfrom\s*$", re.I)
_MOVED_ARROW = re.compile(r"^[\s*_]*(?:→|->|=>|⇒)[\s*_]*$")
_MOVED_TO = re.compile(r"^[\s*_]*to[\s*_]*$", re.I)
_MOVED = re.compile(
    r"\b(?:mov(?:e|ed|es|ing)|push(?:ed|es|ing)?|shift(?:ed|s|ing)?|postpon(?:e|ed|es|ing)|"
    r"delay(?:ed|s|ing)?|slipp?(?:ed|s|ing)?|brought forward|bring(?:ing)? forward|resched\w*|chang(?:e|ed|es|ing))\b",
    re.I,
)


def _milestones(s: Sentence) -> list[tuple[str, str, date, date | None]]:
    """Each milestone the sentence dates: what it is, which one ("" for the deal's only one), its
    date, and the date it was moved from when the line says so. The date is the one said right
    after the milestone, else right before it: in "kick-off 07.01, go-live 15.02" the go-live is
    on the 15th."""
    if not _MILESTONE.search(s.text):
        return []  # most sentences: no dates read for them
    spans = [(a, b, v) for a, b, v in date_spans(s.text, parse_date(s.date), s.day_first) if v]
    out: list[tuple[str, str, date, date | None]] = []
    for g in _MILESTONE.finditer(s.text):
        kind = _MILESTONE_NAMES[g.lastindex - 1 if g.lastindex else 0]
        after = [d for d in spans if 0 <= d[0] - g.end() <= NEAR_AFTER]
        # Only a go-live is dated by a date said before it ("13 Sep Darwin go-live"); before the
        # others it is as often another event's ("signature on 19 March, kick-off end of March").
        before = [d for d in spans if 0 <= g.start() - d[1] <= NEAR_BEFORE] if kind == "go-live" else []
        if not (after or before):
            continue
        day = (after[0] if after else before[-1])[2]
        moved: date | None = None
        if after and s.text.count("|") >= 2:
            # A table row: a later column revises an earlier one ("| P1 go-live | 7 Jun | 5 Jul |").
            day = [d for d in spans if d[0] > g.end()][-1][2]
        elif after:
            first = after[0]
            then = next((d for d in spans if d[0] >= first[1]), None)
            lead, between = s.text[g.end() : first[0]], s.text[first[1] : then[0]] if then else ""
            if (
                then is not None
                and _MOVED_FROM.search(lead)
                and (_MOVED_ARROW.match(between) or (_MOVED_TO.match(between) and _MOVED.search(s.text)))
            ):
                moved, day = first[2], then[2]
        out.append((kind, _which(s.text, g, after[0][0] if after else None), day, moved))
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


# Said just before an amount, these make it what the price would have been ("list is £275",
# "instead of" a rival's), not what it is.
_LIST = re.compile(
    r"(?:\blist(?: price)?(?: is| was)?|\bnormally|\busually|\brather than|\bnot)[\s:(]*$", re.I
)
# A price for the years after the first ("renews at $1,490", "$21.60 from year 2") is what the
# customer pays later, not a revision of what they pay now: its own fact.
_LATER = r"\brenew(?:s|al|ing)?\b|\bafter (?:the first year|year (?:one|1))\b|\b(?:from |in )?year (?:two|2)\b|\bsecond year\b|\bthereafter\b"
_RENEWAL = re.compile(_LATER, re.I)
# ... said before the amount, or right after it and its unit ("$21.60 per user from year 2")
_RENEWAL_AFTER = re.compile(
    rf"^[\s(,–-]*+(?:(?:per|/|a|an|each)\s*+[a-z]++[\s,)]++)*+(?:at |on )?(?:{_LATER})", re.I
)
_RENEWAL_PRICE = "renewal price"
# A row or a line that is about a later year as a whole ("Year 2   155 users x SGD 24.00 list ...").
_YEAR_ROW = re.compile(r"^\W*(?:year|yr)\s?(?:2|3|two|three)\b", re.I)
# ... and these what it was before this line revised it ("was AUD 92,400", "down from $14,400",
# "revised from the 3.4p", "previously NOK 1 420 000", "statt 7.500,00 EUR"), in the languages
# European deals are written in as well.
_FORMER_WORDS = (
    r"\bfrom(?: the| our| your)?|\bwas|\bwere|\binstead of|\bpreviously|\bformerly|\bstatt|"
    r"\bau lieu de|\ben (?:lugar|vez) de|\binvece di|\bin plaats van"
)
_WAS = re.compile(rf"(?:{_FORMER_WORDS})[\s:(]*$", re.I)
# "39 €/truck/mo → 36 €/truck/mo": an arrow between two amounts of one kind revises the first.
_ARROW = re.compile(r"(?:→|->|=>|⇒)[\s*_]*$")
# An amount said per unit ("£245 per clinic", "$319/clinic/mo", "$39/ea") is a unit price; its
# unit is the first word after it that is not a period. A unit price and a total are revised
# apart: "$41.65 per user" is no revision of "$2,998.80 a year".
_PER = re.compile(
    r"\s?(?:/\s?|per\s+|pro\s+|each\b|ea\b)(?:(?:named|active|concurrent)\s+)?(?P<unit>[a-z][a-z-]*)?", re.I
)
_PERIOD = re.compile(
    rf"^(?:{'|'.join(_MONTH_WORDS + _YEAR_WORDS)}|annum|week|wk|day|hour|hr|quarter|qtr|p|a)s?$", re.I
)
_WAIVED = re.compile(
    r"\bwaiv(?:e|ed|es|ing)\b|\bno (?:implementation|setup|set-up|onboarding) (?:fee|charge)", re.I
)
_NOT_WAIVED = re.compile(r"\b(?:not|never|cannot|can't|won't|no longer)\b[^.;]{0,20}\bwaiv", re.I)
# A count of what the deal is sold by ("220 users", "95 technician licences", "41 clinics"):
# seats in any deal, and whatever unit the deal's own prices are per.
_SEAT_UNITS = ("user", "seat", "licence", "license")
_PLAIN = {"named", "active", "concurrent", "paid", "full", "total"}  # say nothing of which seats
_NOT_A_KIND = {"per", "more", "extra", "additional", "other", "new", "free", "of", "x", "and", "or"}
_HEADROOM = re.compile(r"(?:\bup to|\badd|\banother|\bmax(?:imum)?|\bplus)\s*$", re.I)


@dataclass(frozen=True)
class Value:
    """One statement of a fact's value: as shown, as compared, and where. `inline` marks a former
    value read from the same line as the current one ("$12,000, down from $14,400"): the line
    itself states what holds now, so it is never superseded by it."""

    shown: str
    compared: str
    sentence: Sentence
    inline: bool = False


Slots = dict[str, list[Value]]  # per fact, its values in the order stated
_FEE = "implementation fee"
# The facts whose earlier values are no longer what was sold (a go-live date is only moved).
_REPLACED = ("price", _FEE, "term")


def _end(money: Money) -> int:
    return money.start + len(money.phrase)


def _before(text: str, money: Money) -> str:
    """The words just before an amount, where "list is" or "was" says what it is."""
    return text[max(0, money.start - 24) : money.start]


def _unit(text: str, money: Money) -> str:
    """The unit `money` is a price per, "" for a total. A period ("/yr", "per month") is skipped:
    "$14 per month per user" is per user, "$50,400 / year" a total."""
    at = _end(money)
    for _ in range(3):
        m = _PER.match(text, at)
        if not m:
            return ""
        unit = (m["unit"] or "each").lower()
        if not _PERIOD.match(unit):
            return unit[:-1] if unit.endswith("s") and len(unit) > 3 else unit
        at = m.end()
    return ""


# A period said of the amount itself; not a count's unit ("12-month term"), nor the term said
# after it ("28.800 EUR bei 12 Monaten Laufzeit").
_MONTHLY = re.compile(
    rf"(?<![\d-])(?<!\d\s)\b(?:{'|'.join(_MONTH_WORDS)}|monthly|pm|mensuel|monatlich|mensual|mensile|maandelijks|mensal)\b",
    re.I,
)
# ... but "an" only after a slash or "par": "€ 90 an hour" is no yearly price.
_YEARLY = re.compile(
    rf"(?<![\d-])\b(?:{'|'.join(w for w in _YEAR_WORDS if w != 'an')}|annum|annual|annually|p\.?a|par an|"
    r"jährlich|anual|annuo|annuale|jaarlijks)\b|/\s?an\b",
    re.I,
)


def _period(after: str) -> str:
    """ "month" or "year" when the words right after an amount say it recurs so, else ""."""
    window = re.split(r"[,;()]", after[:20], maxsplit=1)[0]  # "(total 288.000 €), annual invoicing"
    month, year = _MONTHLY.search(window), _YEARLY.search(window)
    if month and (not year or month.start() < year.start()):
        return "month"
    return "year" if year else ""


def _of_one_kind(a: Money, b: Money) -> bool:
    """Could one amount be the other revised? A revision moves a price by a discount, not by a
    multiple: "$720 | $68,400" in a row is a unit price and its total, "$319/clinic/mo →
    $156,948/yr" works one out."""
    return a.currency == b.currency and bool(b.value) and Decimal("0.5") <= a.value / b.value <= 2


def _prices(text: str) -> list[tuple[str, Money, bool, bool]]:
    """The amounts a line states as a price or fee: (slot, amount, former, said with its period).
    A list or a rival's price is no value. "was X", "X → Y" and a table row's earlier column make
    X a former value of Y's slot; "from X to Y" gives Y the slot of X."""
    found = [m for m in find_money(text) if not _LIST.search(_before(text, m))]
    slots: list[str] = []
    former: list[bool] = []
    dated: list[bool] = []
    for i, m in enumerate(found):
        # A one-off fee is named between the amount before and this one, or right after it.
        since = text[_end(found[i - 1]) if i else 0 : m.start]
        after = text[_end(m) : found[i + 1].start if i + 1 < len(found) else len(text)]
        unit, period = _unit(text, m), _period(after)
        fee = _ONE_OFF.search(since) or _ONE_OFF.match(after.lstrip(" (,-–"))
        later = _YEAR_ROW.match(text) or _RENEWAL.search(since[-40:]) or _RENEWAL_AFTER.match(after)
        # A monthly total is no revision of a yearly one ("$109/mo, or $1,090/yr").
        slots.append(
            _FEE
            if fee
            else _RENEWAL_PRICE
            if later
            else f"price per {unit}"
            if unit
            else "monthly price"
            if period == "month"
            else "price"
        )
        dated.append(bool(period))
        former.append(bool(_WAS.search(_before(text, m))))
    # "the $13 rate ... stays at $13/user": a bare amount equal to a unit price beside it is that.
    per_unit = {m.value: s for m, s in zip(found, slots, strict=True) if s.startswith("price per ")}
    slots = [per_unit.get(m.value, s) if s == "price" else s for m, s in zip(found, slots, strict=True)]
    # "SGD 19.68 per user instead of SGD 24.00": a former amount said without its unit is the
    # former value of the amount it is set against, when the two are of one kind.
    for i in range(1, len(found)):
        if former[i] and slots[i] == "price" and not former[i - 1] and _of_one_kind(found[i - 1], found[i]):
            slots[i] = slots[i - 1]
    table = text.count("|") >= 2
    for i in range(len(found) - 1):
        a, b = found[i], found[i + 1]
        between = text[_end(a) : b.start]
        if _of_one_kind(a, b) and (
            (table and "|" in between) or (len(between) <= 25 and _ARROW.search(between))
        ):
            slots[i + 1] = slots[i]
            former[i] = True
        elif former[i] and re.search(r"\bto\s*$", between):
            slots[i + 1] = slots[i]
    return list(zip(slots, found, former, dated, strict=True))


# A count's former value said beside it: "4 users (was 3)", "60 users, not 45", "from 45 to 60
# users", "60 users, up from 45".
_COUNT_WAS_AFTER = re.compile(
    r"^\s*[(,;]?\s*(?:was|were|not|instead of|previously|formerly|statt|au lieu de|up from|down from)\s+"
    r"(\d{1,3}(?:,\d{3})+|\d{1,6})\b(?![.,]?\d)(?!\s*%)",
    re.I,
)
# A line that says a value's former one at all: read for revisions whatever its section.
_REVISED = re.compile(
    rf"(?:{_FORMER_WORDS}|\bup from|\bdown from|\bnot)\s*(?:the\s+)?\(?\s*(?:[A-Z]{{0,3}}[$€£¥]|[A-Z]{{3}}\s)?\s?\d",
    re.I,
)
_COUNT_WAS_BEFORE = re.compile(r"\bfrom\s+(\d{1,3}(?:,\d{3})+|\d{1,6})\s+to\s+$", re.I)


def _former_counts(text: str, start: int, end: int) -> list[int]:
    """The former values a count at text[start:end] is set against on its own line."""
    found = (
        _COUNT_WAS_BEFORE.search(text[max(0, start - 24) : start]),
        _COUNT_WAS_AFTER.match(text[end : end + 30]),
    )
    return [int(m.group(1).replace(",", "")) for m in found if m]


def _seats(text: str, units: set[str]) -> list[tuple[str, str, int]]:
    """The counts a line sells ("95 technician licences"): (slot, as shown, count), the first of
    each kind, each after its former values on the same line. Headroom
    ("up to 5 users", "add 20 seats") and deltas ("35 more users") are not."""
    names = "|".join(sorted({*_SEAT_UNITS, *units}, key=len, reverse=True))
    out: dict[str, list[tuple[str, str, int]]] = {}
    for m in re.finditer(
        rf"(?<![\d.,$€£¥₹])(?P<n>\d{{1,3}}(?:,\d{{3}})+|\d{{1,6}})\s+(?:(?P<kind>[a-z][a-z-]*)\s+)?(?P<unit>{names})s?\b",
        text,
        re.I,
    ):
        kind = (m["kind"] or "").lower()
        if kind in _NOT_A_KIND or _HEADROOM.search(text[max(0, m.start() - 12) : m.start()]):
            continue
        unit = m["unit"].lower().replace("license", "licence")
        noun = "seats" if unit in _SEAT_UNITS else f"{unit}s"
        slot = f"{noun} ({kind})" if kind and kind not in _PLAIN and not kind.isdigit() else noun
        if slot not in out:
            out[slot] = [
                (slot, f"{n} {m['unit']}{'' if n == 1 else 's'}", n)
                for n in _former_counts(text, m.start(), m.end())
            ]
            out[slot].append((slot, m.group(0), int(m["n"].replace(",", ""))))
    return [v for values in out.values() for v in values]


def _slots(sentences: list[Sentence], terms: set[int]) -> Slots:
    """Each revisable fact's values in the order they were stated, oldest first.
    `terms`: the sentences that state the deal's own commercial terms (by the section
    classifier), so that a competitor's quote or a budget figure is not read as our price."""
    slots: Slots = defaultdict(list)
    counted: set[str] = set()
    stated = [numerals(s.text) for s in sentences if s.order in terms]
    units = {u for t in stated for m in find_money(t) if (u := _unit(t, m)) and u != "each"}
    for s in sentences:
        text = numerals(s.text)  # "thirty-eight clinics" on the call, "41 clinics" on the order form
        in_terms = s.order in terms
        # "We waive the $2,500 onboarding fee": the amount is what the fee was, on this very line.
        waived = bool(_WAIVED.search(text) and _ONE_OFF.search(text) and not _NOT_WAIVED.search(text))
        # A line that sets a value against what it was ("4 users (was 3)", "€38 a month instead
        # of €42") states a revision whatever else the classifier reads it as: only its revised
        # values are read from it, not every amount it names.
        if in_terms or waived or _REVISED.search(text):
            priced = _prices(text)
            if waived:
                # The fee waived is the largest one-off amount the line names ("25 hours @ SGD 250
                # = SGD 6,250, waived"); the others are how it was worked out.
                fees = [p for p in priced if p[0] == _FEE]
                whole = max(fees, key=lambda p: p[1].value, default=None)
                priced = [p for p in priced if p[0] != _FEE] + (
                    [(_FEE, whole[1], True, whole[3])] if whole else []
                )
            # ... set against an amount of one kind: "budget was $90,000, we spent $12,000" is none.
            revised = {
                slot
                for slot, money, former, _ in priced
                if former and any(o[0] == slot and not o[2] and _of_one_kind(money, o[1]) for o in priced)
            } | ({_FEE} if waived else set())
            priced = [p for p in priced if in_terms or p[0] in revised]
            if priced and (
                _PRICE_WORDS.search(text) or revised or any(p[0].startswith("price per") for p in priced)
            ):
                current: dict[str, Money] = {}
                # A line's price is the last one said with its period: "96.000 € per year (total
                # 288.000 €)", "$55/mo ($39,600) + platform $9k/yr = $48,600/yr".
                for slot, money, former, _ in sorted(priced, key=lambda p: p[3]):
                    if former:
                        slots[slot].append(Value(money.phrase, key(money), s, inline=True))
                    else:
                        current[slot] = money
                for slot, money in current.items():
                    slots[slot].append(Value(money.phrase, key(money), s))
            seats = _seats(text, units)
            recounted = {
                slot for i, (slot, _, _) in enumerate(seats) if any(x[0] == slot for x in seats[i + 1 :])
            }
            for i, (slot, shown, count) in enumerate(seats):
                if not in_terms and slot not in recounted:
                    continue
                # a value before another of its slot on this line is that one's former value
                former = any(later[0] == slot for later in seats[i + 1 :])
                slots[slot].append(Value(shown, str(count), s, inline=former))
                counted.add(slot)
        if _WAIVED.search(text) and _ONE_OFF.search(text) and (s.order in terms or find_money(text)):
            slots[_FEE].append(Value("waived", "waived", s))
        term = _term(text, s.order in terms)
        if term:
            slots["term"].append(Value(term[0], term[1], s))
        if not re.search(r"\b(?:first|the rest)\b", s.text, re.I):
            for kind, which, day, moved in _milestones(s):
                name = f"{kind} date ({which})" if which else f"{kind} date"
                if moved is not None:
                    slots[name].append(Value(moved.isoformat(), moved.isoformat(), s, inline=True))
                slots[name].append(Value(day.isoformat(), day.isoformat(), s))
    _merge_plain_seats(slots, counted)
    return {
        name: sorted(values, key=lambda v: (v.sentence.date or "", v.sentence.order))
        for name, values in slots.items()
    }


def _merge_plain_seats(slots: Slots, counted: set[str]) -> None:
    """ "60 tech seats" then "74 seats": when a deal sells one kind of a unit, a count that does not
    name its kind is of that kind. `counted`: the slots of counts."""
    for plain in [n for n in counted if "(" not in n]:
        kinds = [n for n in counted if n.startswith(f"{plain} (")]
        if len(kinds) == 1:
            slots[kinds[0]] += slots.pop(plain)


def superseded(sentences: list[Sentence], terms: set[int]) -> set[int]:
    """The sentences that state a price or a term a later one replaced (the first quote's):
    not what the customer was finally sold. A go-live date is left alone: a sentence naming
    one with another date ("training before go-live, on 1 March") is no revision of it."""
    out: set[int] = set()
    for name, values in _slots(sentences, terms).items():
        if name not in _REPLACED and not name.startswith("price per "):
            continue
        latest = text_key(values[-1].compared)
        out |= {v.sentence.order for v in values if not v.inline and text_key(v.compared) != latest}
    return out


def revisions(sentences: list[Sentence], terms: set[int]) -> list[Change]:
    """The facts whose latest value differs from the first, old and new with their sentences."""
    changes: list[Change] = []
    for field_name, ordered in _slots(sentences, terms).items():
        first, last = ordered[0], ordered[-1]
        if text_key(first.compared) != text_key(last.compared):
            changes.append(
                Change(
                    field=field_name,
                    previous=first.shown,
                    current=last.shown,
                    evidence=[
                        Evidence(source_id=first.sentence.source_id, quote=first.sentence.text),
                        Evidence(source_id=last.sentence.source_id, quote=last.sentence.text),
                    ],
                )
            )
    return changes

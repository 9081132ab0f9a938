"""The fields of a brief item read from the sentence it rests on: a success criterion's
metric, baseline, target and due date; a risk's category, severity and mitigation; a promise's
kind and due date; a milestone's date and kind. Every engine's items get the fields it left open
from here, so the rules are written once."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from . import cues
from .dates import BY_DATE_RE, find_dates, parse_date
from .numerals import numerals
from .schema import RiskCategory, Severity, Side
from .sentences import Sentence

_NUM = r"(?:~|about |around |roughly )?[$€]?\s?\d[\d,.]*(?:\s?(?:[kKmM]\b|million|%|percent))?"
# The unit is whatever word follows the number ("5 errors", "12 hours"), then an optional rate.
_UNIT = (
    r"(?: (?!(?:by|in|per|and|or|to|from|at|on|for|of|through|throughout|during|until|till|before|"
    r"after|within|across|over|the|this|that|with|as|than|is|are|was|were|be)\b)[a-z]{2,20}s?)?"
    r"(?: (?:per|a|each) [a-z]{3,10})?"
)
_VALUE = rf"(?:{_NUM}{_UNIT}|zero(?: [a-z]+){{0,2}})"
# A bound ("under", "at least") is part of the target: "8%" alone reads as a level to reach.
_BOUND = r"under|below|less than|fewer than|no more than|at most|within|at least|above|more than"
# "from 14 per month to 5", "from about 7% of invoices today to under 2%": up to four words
# may say what the first figure counts before the second.
_FROM_TO = re.compile(
    rf"\bfrom ({_VALUE})(?:\s+(?!to\b)[\w-]+){{0,4}}?\s+to\s+(?:({_BOUND})\s+)?({_VALUE})", re.I
)
_BASELINE = re.compile(
    rf"(?:\b(?:is|are|currently|today is|of)\s+({_VALUE})\s+today\b|\btoday(?:,| is| we have)?\s+"
    rf"(?:about |around )?({_VALUE})|\bcurrently\s+({_VALUE})|\b({_VALUE}) (?:today|currently|now)\b)",
    re.I,
)
_TARGET = re.compile(rf"\b(?:({_BOUND})|to|of|reach|hit|wants?|want|get to)\s+({_VALUE})", re.I)
_BY_PCT = re.compile(r"\bby (\d[\d.]*\s?%)", re.I)
_DUE_END = re.compile(
    r"\b(?:by|before)\s+(?:the\s+)?end of\s+((?:the\s+)?(?:[A-Z][a-z]+|Q[1-4])(?:\s+20\d\d)?)", re.I
)


# A year's end as a due date: "by end of 2027", "at the end of next year", "by year end",
# "until end of the financial year 2027". The year is read from the sentence's own date when
# it says "this" or "next" year, or none at all.
_DUE_YEAR = re.compile(
    r"\b(?:by|before|until|till|at|for|to)\s+(?:the\s+)?"
    r"(?:end of (?:the\s+)?(?:(?P<rel>this|next|the)\s+)?(?:(?:calendar|financial|fiscal)\s+)?(?:year\s*)?(?:(?P<y1>20\d\d)(?![–/-]\d))?"
    r"|(?P<rel2>this|next)?\s*year[- ]end(?:\s+(?P<y2>20\d\d))?)",
    re.I,
)


def _year_end(text: str, said: str | None) -> str | None:
    """ "end of 2027" for a year's end the text names as a due date, else None. A financial
    year's end is kept as written: it need not be December's."""
    for m in _DUE_YEAR.finditer(text):
        phrase = m.group(0).lower()
        year = m["y1"] or m["y2"]
        if year is None:
            ref = parse_date(said)
            if ref is None or "year" not in phrase:
                continue  # "by the end of the month"
            year = str(ref.year + ((m["rel"] or m["rel2"] or "").lower() == "next"))
        if re.search(r"financial|fiscal", phrase):
            return f"end of financial year {year}"
        return f"end of {year}"
    return None


def criterion_fields(s: Sentence, side_of: dict[str, Side]) -> dict[str, Any]:
    """Metric, baseline, target and due date of a measure, and whether the customer set it."""
    text = numerals(s.text)
    baseline = target = None
    m = _FROM_TO.search(text)
    if m:
        baseline, target = m.group(1).strip(), m.group(3).strip()
        if m.group(2):
            target = f"{m.group(2).lower()} {target}"
    else:
        bm = _BASELINE.search(text)
        if bm:
            baseline = next(g for g in bm.groups() if g).strip()
        for tm in _TARGET.finditer(text):
            value = tm.group(2).strip()
            if value != baseline and re.search(r"\d|zero", value):
                target = f"{tm.group(1).lower()} {value}" if tm.group(1) else value
        pm = _BY_PCT.search(text)
        if pm and target is None:
            target = (
                f"-{pm.group(1)}"
                if re.search(r"reduce|cut|lower|decrease", text, re.I)
                else f"+{pm.group(1)}"
            )
        if re.search(r"\bzero\b", text, re.I) and target is None:
            target = "zero"
    due = _year_end(text, s.date)
    if due:
        # ... said as its day too: "until end of the year (31.12.2027)"
        found = find_dates(text, parse_date(s.date), s.day_first)
        due = next((p for p, v in found if v is not None and (v.month, v.day) == (12, 31)), due)
    elif dm := _DUE_END.search(text):
        due = "end of " + dm.group(1)
    elif bd := BY_DATE_RE.search(text):
        due = bd.group(1)
    else:
        found = find_dates(text, parse_date(s.date), s.day_first)
        due = found[0][0] if found else None
    if due:
        parsed = parse_date(due) if re.search(r"\d{4}", due) else None
        due = (
            parsed.isoformat()
            if parsed and re.search(r"\d{1,2}(?:st|nd|th|rd)?,", due + ",") and re.search(r"\b\d{1,2}\b", due)
            else due
        )
    speaker_side = side_of.get(s.speaker or "", Side.unknown)
    subject_side = _subject_side(text, side_of)
    stated = speaker_side is Side.customer or (speaker_side is Side.unknown and subject_side is Side.customer)
    return {
        "metric": _metric_phrase(text),
        "baseline": baseline,
        "target": target,
        "due": due,
        "stated_by_customer": stated,
    }


def _subject_side(text: str, side_of: dict[str, Side]) -> Side:
    for w in text.split():
        w = w.strip(",.;:'’s")
        if w in side_of and side_of[w] is not Side.unknown:
            return side_of[w]
    if re.match(r"^(?:They|Their|She|He|Our goal|The board|The customer)\b", text):
        return Side.customer
    return Side.unknown


def _metric_phrase(text: str) -> str:
    t = re.sub(
        r"^(?:[A-Z][a-z]+ (?:wants|needs) to |Our goal is to |The goal is to |Their goal is to "
        r"|The board wants to see |We want to |They want to )",
        "",
        text,
    )
    m = re.search(
        r"\s(?:is|are|from|under|below|by|to)\s+(?:about |around |roughly |approximately )?[~$€\d]", t
    )
    phrase = t[: m.start()] if m and m.start() > 10 else t
    phrase = phrase.strip(" ,;:.")
    if len(phrase) > 90:
        phrase = phrase[:87].rsplit(" ", 1)[0] + "…"
    return phrase[0].upper() + phrase[1:] if phrase else text[:90]


def _risk_category(text: str) -> RiskCategory:
    if cues.RISK_SECURITY.search(text):
        return RiskCategory.security
    if cues.RISK_ORG.search(text):
        return RiskCategory.organisational
    if cues.RISK_TECHNICAL.search(text):
        return RiskCategory.technical
    if cues.RISK_COMMERCIAL.search(text):
        return RiskCategory.commercial
    return RiskCategory.other


def _mitigation(text: str, category: RiskCategory) -> str:
    low = text.lower()
    if re.search(r"leaving|left the company|resign|take over|takes over", low):
        return "Meet the successor before kickoff; re-run discovery with them and document what the departing contact knew."
    if re.search(r"freeze", low):
        return "Plan the timeline around the freeze window and agree it in writing at kickoff."
    if re.search(r"skeptic|resist|attached|not been part", low):
        return "Give the skeptic a role in the kickoff and an early, visible win in their own workflow."
    if category is RiskCategory.security:
        return "Send the security and compliance package (SOC 2, DPA/BAA, SSO docs) before kickoff and book the review early."
    if category is RiskCategory.technical:
        return "Scope the integration or migration in a technical workshop in week one, with a named owner on each side."
    if category is RiskCategory.commercial:
        return "Confirm the final commercial terms in the kickoff deck so CS and finance work from the same numbers."
    if category is RiskCategory.organisational:
        return "Agree an executive check-in cadence and confirm the customer's project team capacity."
    return "Raise it at kickoff and assign an owner."


_COMMITMENT_KINDS = (
    ("training", r"training|workshop|session"),
    ("integration", r"integration|connector|sso|api|migration"),
    ("support", r"dedicated|support|engineer|success"),
    ("discount", r"discount|free|no extra cost|no additional cost|price"),
    ("deliverable", r"deliver|report|dashboard|export|script|plan|agreement"),
)
_MILESTONE_KINDS = (
    ("kickoff", r"kick-?off"),
    ("go_live", r"go-?live|go live|goes live|launch|cutover|switch off"),
    ("business_review", r"business review|qbr|board"),
    ("training", r"training"),
    ("review", r"review|assessment"),
    ("signature", r"sign"),
)


def _first_kind(text: str, kinds: tuple[tuple[str, str], ...]) -> str:
    """The first kind whose pattern the text matches, in table order."""
    low = text.lower()
    return next((kind for kind, pattern in kinds if re.search(pattern, low)), "other")


def _commitment_kind(text: str) -> str:
    return _first_kind(text, _COMMITMENT_KINDS)


def _milestone_kind(text: str) -> str:
    return _first_kind(text, _MILESTONE_KINDS)


def risk_fields(text: str) -> dict[str, Any]:
    category = _risk_category(text)
    severity = (
        Severity.high
        if cues.SEVERITY_HIGH.search(text)
        else Severity.low
        if cues.SEVERITY_LOW.search(text)
        else Severity.medium
    )
    return {"category": category, "severity": severity, "mitigation": _mitigation(text, category)}


def due_in(text: str, reference: date | None = None) -> str | None:
    """The date a sentence says something is due: "by <date>" first, else the first date in it."""
    bd = BY_DATE_RE.search(text)
    if bd:
        return bd.group(1)
    found = find_dates(text, reference)
    return found[0][0] if found else None


def commitment_fields(text: str) -> dict[str, Any]:
    return {"kind": _commitment_kind(text), "due": due_in(text)}


def milestone_fields(s: Sentence) -> dict[str, Any] | None:
    """Date and kind of a milestone; None when the sentence names no date."""
    dates = find_dates(s.text, parse_date(s.date), s.day_first)
    if not dates:
        return None
    phrase, value = dates[0]
    # A month alone ("January 2027") is not a day: keep the phrase rather than invent the 1st.
    # A day said with its month ("November 20", "the sixth of May") is given as a date, its year
    # read from when it was said.
    month_only = re.fullmatch(r"\D*\b\d{4}\b\D*", phrase) is not None
    iso = value.isoformat() if value and not month_only else None
    return {"date": iso or phrase, "kind": _milestone_kind(s.text), "sort": iso or (s.date or "9999")}

"""Finding and normalising dates in free text and headers."""

from __future__ import annotations

import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_MONTH_RE = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)

ISO_RE = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")
MDY_RE = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(20\d\d)\b", re.I)
DMY_RE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\.?,?\s+(20\d\d)\b", re.I)
MD_RE = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s+20\d\d)(?!\d)", re.I)
SLASH_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(20\d\d)\b")
MONTH_YEAR_RE = re.compile(rf"\b({_MONTH_RE})\.?\s+(20\d\d)\b", re.I)
QUARTER_RE = re.compile(r"\b(Q[1-4])(?:\s+|')?(?:FY)?(20\d\d|\d\d)?\b")
RELATIVE_RE = re.compile(
    r"\b(?:within|in|after|over)\s+(\d+|one|two|three|four|five|six|eight|ten|twelve|thirty|"
    r"sixty|ninety)\s+(days?|weeks?|months?)\b",
    re.I,
)
BY_DATE_RE = re.compile(
    rf"\b(?:by|before|until|no later than|on|starting|from)\s+((?:{_MONTH_RE})\.?\s+\d{{1,2}}"
    rf"(?:st|nd|rd|th)?(?:,?\s+20\d\d)?|(?:end of\s+)?(?:Q[1-4](?:\s+20\d\d)?)"
    rf"|20\d\d-\d\d-\d\d|(?:{_MONTH_RE})(?:\s+20\d\d)?|\d{{1,2}}/\d{{1,2}}/20\d\d)",
    re.I,
)


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _infer_year(month: int, day: int, ref: date | None) -> date | None:
    """A month and day without a year, read as the first such date not long before `ref`."""
    if ref is None:
        return None
    candidate = _safe(ref.year, month, day)
    if candidate is not None and (ref - candidate).days > 60:
        candidate = _safe(ref.year + 1, month, day)
    return candidate


def find_dates(text: str, ref: date | None = None) -> list[tuple[str, date | None]]:
    """Every date-like phrase in `text`, with the calendar date when it has one.

    `ref` (the source's own date) lets "December 2" become a calendar date."""
    found: list[tuple[int, str, date | None]] = []
    taken: list[tuple[int, int]] = []

    def add(m: re.Match[str], value: date | None) -> None:
        span = m.span()
        if any(s <= span[0] < e or s < span[1] <= e for s, e in taken):
            return
        taken.append(span)
        found.append((span[0], m.group(0), value))

    for m in ISO_RE.finditer(text):
        add(m, _safe(int(m[1]), int(m[2]), int(m[3])))
    for m in MDY_RE.finditer(text):
        add(m, _safe(int(m[3]), _MONTHS[m[1].lower()[:3]], int(m[2])))
    for m in DMY_RE.finditer(text):
        add(m, _safe(int(m[3]), _MONTHS[m[2].lower()[:3]], int(m[1])))
    for m in MD_RE.finditer(text):
        add(m, _infer_year(_MONTHS[m[1].lower()[:3]], int(m[2]), ref))
    for m in SLASH_RE.finditer(text):
        add(m, _safe(int(m[3]), int(m[1]), int(m[2])))
    for m in MONTH_YEAR_RE.finditer(text):
        add(m, _safe(int(m[2]), _MONTHS[m[1].lower()[:3]], 1))
    for m in QUARTER_RE.finditer(text):
        add(m, None)
    for m in RELATIVE_RE.finditer(text):
        add(m, None)
    found.sort(key=lambda t: t[0])
    return [(phrase, value) for _, phrase, value in found]


def parse_date(value: str | None) -> date | None:
    """A calendar date from an ISO string, an RFC 2822 header or a written date."""
    if not value:
        return None
    value = value.strip()
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError, IndexError):
        pass
    for _, d in find_dates(value):
        if d is not None:
            return d
    return None


def date_in_name(name: str) -> date | None:
    m = ISO_RE.search(name)
    return _safe(int(m[1]), int(m[2]), int(m[3])) if m else None


_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SPOKEN = re.compile(
    r"\b(?:("
    + "|".join(_TENS)
    + r")(?:[- ]("
    + "|".join(_ONES[1:10])
    + r"))?|("
    + "|".join(_ONES[1:])
    + r"))\b"
    r"(?: (percent|per cent))?",
    re.I,
)


def spoken_numbers(text: str) -> str:
    """Numbers written as words in digits, for reading values ("under five errors" -> "under 5
    errors", "sixty percent" -> "60%"). Only for parsing: quotes keep the source's words."""

    def digits(m: re.Match[str]) -> str:
        if m.group(3):
            value = _ONES.index(m.group(3).lower())
        else:
            value = _TENS[m.group(1).lower()] + (_ONES.index(m.group(2).lower()) if m.group(2) else 0)
        return f"{value}%" if m.group(4) else str(value)

    return _SPOKEN.sub(digits, text)

"""Finding and normalising dates in free text and headers."""

from __future__ import annotations

import importlib
import re
import unicodedata
from datetime import date, datetime
from email.utils import parsedate_to_datetime

_ENGLISH_MONTHS = [
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
# Deals are written in European languages too ("15. März 2027", "3 de mayo"). Month names come
# from dateparser's language data; only each month's full name, because short forms in other
# languages are English words ("set", "out", "mar").
_OTHER_LANGUAGES = ("de", "fr", "es", "it", "nl", "pt")


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)).lower()


def _month_names() -> dict[str, int]:
    names = {name: i + 1 for i, forms in enumerate(_ENGLISH_MONTHS) for name in forms}
    for code in _OTHER_LANGUAGES:
        info = importlib.import_module(f"dateparser.data.date_translation_data.{code}").info
        for i, month in enumerate(_ENGLISH_MONTHS):
            forms = [f.lower() for f in info.get(month[-1], []) if f.isalpha()]
            if forms:
                full = max(forms, key=len)
                names.setdefault(full, i + 1)
                names.setdefault(_fold(full), i + 1)
    return names


def period_words(unit: str) -> tuple[str, ...]:
    """The words for a "month" or a "year" as a duration ("36 mois", "3 Jahre", "24 meses") in the
    languages other than English deals are written in, from dateparser's language data; single
    letters left out."""
    words: set[str] = set()
    for code in _OTHER_LANGUAGES:
        info = importlib.import_module(f"dateparser.data.date_translation_data.{code}").info
        words |= {f.lower() for f in info.get(unit, []) if f.isalpha() and len(f) > 1}
    return tuple(sorted(words, key=len, reverse=True))


_MONTHS = _month_names()
# Longest first, so "june" wins over "jun" and "juillet" over "juil".
_MONTH_RE = "(?:" + "|".join(re.escape(n) for n in sorted(_MONTHS, key=len, reverse=True)) + ")"


_WEEKDAY = re.compile(
    r"^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?$|^(?:tuesday|wednesday|thursday|saturday)$"
)


def _month_number(name: str) -> int | None:
    low = name.lower().rstrip(".")
    return _MONTHS.get(low) or _MONTHS.get(_fold(low))


def is_date_word(word: str) -> bool:
    """A month's or a weekday's name ("March", "Sept.", "Mon")."""
    return _month_number(word) is not None or bool(_WEEKDAY.match(word.lower().rstrip(".")))


def _month(name: str) -> int:
    return _month_number(name) or _MONTHS[name.lower().rstrip(".")[:3]]


ISO_RE = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")
MDY_RE = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(20\d\d)\b", re.I)
# "3 May 2027", "15. März 2027", "3 de mayo de 2027"
DMY_RE = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th|\.|er|º)?\s+(?:de\s+)?({_MONTH_RE})\.?,?\s+(?:de\s+)?(20\d\d)\b", re.I
)
DM_RE = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th|\.|er|º)?\s+(?:de\s+|of\s+)?({_MONTH_RE})\b(?!\.?,?\s+(?:de\s+)?20\d\d)",
    re.I,
)
# European numeric dates: "2.3.2027", "01.03." (the year read from the source's date). Without a
# year the month takes two digits, so "rated 3.5." is not the 3rd of May.
DOTTED_RE = re.compile(
    r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(20\d\d)(?!\d)|(?<![\d.])(\d{1,2})\.(\d\d)\.(?![\d])"
)
# "Sept. 4" but not "September.\n4.": a sentence ends after a full month name.
MD_RE = re.compile(
    rf"\b({_MONTH_RE})(?:(?<=\b\w{{3}})\.|(?<=\b\w{{4}})\.)?[ \t\u00a0]+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s+20\d\d)(?!\d)",
    re.I,
)
SLASH_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(20\d\d)\b")
# "3/31", "28/05" without a year. Both parts 12 or under ("5/3", "2/3 of the team") is a date
# only after a word that introduces one; "24/7" is never one.
SHORT_SLASH_RE = re.compile(
    r"(?:\b(?P<lead>on|by|before|until|till|from|to|due|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)"
    r"\.?\s+)?(?<![\d/.])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?![\d/])(?!\s*(?:of\b|th\b|rds?\b|%))",
    re.I,
)
_NOT_DATES = {("24", "7"), ("50", "50")}
# A month with no day or year, where a word says it is a time: "in October", "mid-March",
# "end of July". "May" and "Mar" only capitalised, so "in may" stays a verb.
_MONTH_WORDS = "|".join(
    sorted((n for n in _MONTHS if len(n) > 3 and n != "march" and n.isascii()), key=len, reverse=True)
)
MONTH_ONLY_RE = re.compile(
    rf"\b(?:(?:in|by|mid|early|late|during|until|till|before|from|through|since|over)[\s-]+"
    rf"|(?:end|start|beginning|middle) of\s+)(?:(?i:{_MONTH_WORDS}|march)|May|Mar|"
    rf"(?:Jan|Feb|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b\.?)(?![\w-])"
)
_ORDINALS = {
    w: i + 1
    for i, w in enumerate(
        [
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
            "thirteenth",
            "fourteenth",
            "fifteenth",
            "sixteenth",
            "seventeenth",
            "eighteenth",
            "nineteenth",
            "twentieth",
        ]
    )
}
_ORDINALS |= {f"twenty-{w}": 20 + i for w, i in list(_ORDINALS.items())[:9]}
_ORDINALS |= {f"twenty {w}": 20 + i for w, i in list(_ORDINALS.items())[:9]}
_ORDINALS |= {"thirtieth": 30, "thirty-first": 31, "thirty first": 31}
# Spoken dates: "the eighth of June", "the thirty-first of March".
SPOKEN_DATE_RE = re.compile(
    r"\bthe\s+(" + "|".join(sorted(_ORDINALS, key=len, reverse=True)) + rf")\s+of\s+({_MONTH_RE})\b",
    re.I,
)
MONTH_YEAR_RE = re.compile(rf"\b({_MONTH_RE})\.?\s+(20\d\d)\b", re.I)
QUARTER_RE = re.compile(r"\b(Q[1-4])(?:\s+|')?(?:FY)?(20\d\d|\d\d)?\b")
RELATIVE_RE = re.compile(
    r"\b(?:within|in|after|over)\s+(\d+|one|two|three|four|five|six|eight|ten|twelve|thirty|"
    r"sixty|ninety)\s+(days?|weeks?|months?)\b",
    re.I,
)
BY_DATE_RE = re.compile(
    rf"\b(?:by|before|until|no later than|on|starting|from)\s+((?:{_MONTH_RE})\.?\s+\d{{1,2}}"
    rf"(?:st|nd|rd|th)?(?!\d)(?:,?\s+20\d\d)?|(?:end of\s+)?(?:Q[1-4](?:\s+20\d\d)?)"
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


def _day_month(a: int, b: int, day_first: bool) -> tuple[int, int]:
    """Day and month of a numeric date "a/b": a part over 12 can only be the day."""
    if a > 12:
        return a, b
    if b > 12:
        return b, a
    return (a, b) if day_first else (b, a)


def numeric_day_first(texts: list[str]) -> bool:
    """Do a deal's numeric dates put the day first? Read from the dates that can only be one way
    ("28/05", "3/31", "15.03.2027"); when none settles it, from the currency: a deal priced in
    euros or pounds is written where the day comes first."""
    day, month = 0, 0
    for text in texts:
        for m in re.finditer(r"(?<![\d/.])(\d{1,2})/(\d{1,2})(?:/(?:20)?\d\d)?(?![\d/])", text):
            a, b = int(m[1]), int(m[2])
            if (m[1], m[2]) in _NOT_DATES:
                continue
            day += 12 < a <= 31 and 1 <= b <= 12
            month += 12 < b <= 31 and 1 <= a <= 12
        day += len(DOTTED_RE.findall(text))
    if day != month:
        return day > month
    joined = "\n".join(texts)
    return bool(re.search(r"[€£]|\b(?:EUR|GBP|CHF)\b", joined)) and "$" not in joined


def find_dates(text: str, ref: date | None = None, day_first: bool = False) -> list[tuple[str, date | None]]:
    """Every date-like phrase in `text`, with the calendar date when it has one (see
    `date_spans`)."""
    return [(text[start:end], value) for start, end, value in date_spans(text, ref, day_first)]


def date_spans(
    text: str, ref: date | None = None, day_first: bool = False
) -> list[tuple[int, int, date | None]]:
    """Where each date-like phrase in `text` starts and ends, with its calendar date when it has one.

    `ref` (the source's own date) lets "December 2" become a calendar date; `day_first` reads
    "06/09/2027" and "5/3" as the 6th of September and the 5th of March (`numeric_day_first`
    decides it for a deal)."""
    found: list[tuple[int, int, date | None]] = []

    def add(m: re.Match[str], value: date | None) -> None:
        start, end = m.span()
        if any(s <= start < e or s < end <= e for s, e, _ in found):
            return
        found.append((start, end, value))

    for m in ISO_RE.finditer(text):
        add(m, _safe(int(m[1]), int(m[2]), int(m[3])))
    for m in MDY_RE.finditer(text):
        add(m, _safe(int(m[3]), _month(m[1]), int(m[2])))
    for m in DMY_RE.finditer(text):
        add(m, _safe(int(m[3]), _month(m[2]), int(m[1])))
    for m in DOTTED_RE.finditer(text):
        if m[3]:
            add(m, _safe(int(m[3]), int(m[2]), int(m[1])))
        elif 1 <= int(m[5]) <= 12:
            add(m, _infer_year(int(m[5]), int(m[4]), ref))
    for m in MD_RE.finditer(text):
        add(m, _infer_year(_month(m[1]), int(m[2]), ref))
    for m in DM_RE.finditer(text):
        add(m, _infer_year(_month(m[2]), int(m[1]), ref))
    for m in SPOKEN_DATE_RE.finditer(text):
        add(m, _infer_year(_month(m[2]), _ORDINALS[re.sub(r"\s+", " ", m[1].lower())], ref))
    for m in SLASH_RE.finditer(text):
        day, month = _day_month(int(m[1]), int(m[2]), day_first)
        add(m, _safe(int(m[3]), month, day))
    for m in SHORT_SLASH_RE.finditer(text):
        a, b = int(m["a"]), int(m["b"])
        if (m["a"], m["b"]) in _NOT_DATES or not (a and b) or (a <= 12 and b <= 12 and not m["lead"]):
            continue
        day, month = _day_month(a, b, day_first)
        if month <= 12:
            add(m, _infer_year(month, day, ref))
    for m in MONTH_YEAR_RE.finditer(text):
        add(m, _safe(int(m[2]), _month(m[1]), 1))
    for m in MONTH_ONLY_RE.finditer(text):
        add(m, None)
    for m in QUARTER_RE.finditer(text):
        add(m, None)
    for m in RELATIVE_RE.finditer(text):
        add(m, None)
    return sorted(found, key=lambda t: t[0])


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


def undated_reference(source_dates: list[str | None], close_date: object = None) -> date | None:
    """The date a source without one of its own (a chat export) reads "Tue 4 May" in: the
    latest date any of the deal's sources has, else its close date."""
    latest = max((d for d in source_dates if d), default=None)
    return parse_date(latest or (close_date if isinstance(close_date, str) else None))


def date_in_name(name: str) -> date | None:
    m = ISO_RE.search(name)
    return _safe(int(m[1]), int(m[2]), int(m[3])) if m else None

"""Money as deals write it: "$84,000", "€12.500", "12.500 €", "EUR 12,500.50", "£8.6k",
"1,2 Mio. €", "CHF 40'000" — the phrase as written and its value, so that two spellings of one
price are one price and a revised price is told apart from a reformatted one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "R$": "BRL", "Rp": "IDR"}
# Said rather than written ("two thousand euros" on a call, as digits once `numerals` read it):
# only after the amount, and only names no other sense of the word has ("pounds" weighs honey).
_NAMES = {"euro": "EUR", "euros": "EUR", "dollar": "USD", "dollars": "USD"}
_CODES = (
    r"USD|EUR|GBP|CHF|CAD|AUD|NZD|SEK|NOK|DKK|PLN|CZK|HUF|RON|JPY|INR|BRL|MXN|ZAR|IDR|SGD|HKD|MYR|THB|"
    r"KRW|CNY|RMB|TWD|AED|SAR|ILS|TRY|CLP|COP|ARS|NGN|KES|EGP"
)
# A dollar that says whose ("NZ$1,090", "CA$21,500", "S$40"), or a code written before a symbol
# ("CAD $990", "AUD $1,200"): one currency, not a code and then a US dollar amount.
_DOLLARS = {
    "NZ": "NZD",
    "US": "USD",
    "CA": "CAD",
    "C": "CAD",
    "AU": "AUD",
    "A": "AUD",
    "HK": "HKD",
    "S": "SGD",
    "MX": "MXN",
}
_DOLLAR_CODES = {"USD", *_DOLLARS.values()}
_COUNTRY_DOLLARS = "|".join(sorted(_DOLLARS, key=len, reverse=True))
_CURRENCY = rf"(?:\b(?:{_CODES})\s?[$€£¥]|\b(?:{_COUNTRY_DOLLARS})\$|R\$|Rp\b|[$€£¥₹]|\b(?:{_CODES})\b)"
# Digits with thousands separators (",", ".", "'", thin or plain space) and a decimal part.
# Bounded, and started only where a run of digits starts, so that a long run of digits is read
# in linear time (tests/security/test_regex_time.py).
_NUMBER = r"(?<![\d.,])(?:\d{1,3}(?:[,.'’  ]\d{3}){1,5}(?:[.,]\d{1,2})?|\d{1,15}(?:[.,]\d{1,2})?)"
_SCALE = r"(?:\s?(?:[kK]\b|[mM]\b|million\b|mio\.?|Mio\.?|bn\b|billion\b|lakh\b|crore\b))?"
MONEY_RE = re.compile(
    rf"(?P<pre>{_CURRENCY})\s?(?P<n1>{_NUMBER})(?P<s1>{_SCALE})"
    rf"|(?P<n2>{_NUMBER})(?P<s2>{_SCALE})\s?(?P<post>{_CURRENCY}|\b(?i:{'|'.join(_NAMES)})\b)"
)
_SCALES = {
    "k": Decimal(1_000),
    "m": Decimal(1_000_000),
    "million": Decimal(1_000_000),
    "mio": Decimal(1_000_000),
    "bn": Decimal(1_000_000_000),
    "billion": Decimal(1_000_000_000),
    "lakh": Decimal(100_000),
    "crore": Decimal(10_000_000),
}


@dataclass(frozen=True)
class Money:
    phrase: str  # as written
    currency: str  # ISO code
    value: Decimal
    start: int = field(default=0, compare=False)  # where the phrase begins in the text read


def _number(raw: str) -> Decimal | None:
    digits = re.sub(r"[\s'’  ]", "", raw)
    # The last separator followed by one or two digits is the decimal mark; every other
    # separator groups thousands ("12.500,50", "12,500.50", "12.500").
    m = re.search(r"[.,](\d{1,2})$", digits)
    whole, cents = (digits[: m.start()], m.group(1)) if m else (digits, "")
    whole = re.sub(r"[.,]", "", whole)
    try:
        return Decimal(f"{whole}.{cents}" if cents else whole)
    except InvalidOperation:
        return None


def _currency(symbol: str) -> str:
    """ "CAD $" -> CAD, "NZ$" -> NZD, "SGD" -> SGD."""
    code = re.match(r"[A-Za-z]+", symbol)
    if code is None:
        return symbol.upper()
    letters = code.group(0).upper()
    return _DOLLARS.get(letters, letters) if symbol.rstrip().endswith("$") and len(letters) < 3 else letters


def find_money(text: str) -> list[Money]:
    out = []
    for m in MONEY_RE.finditer(text):
        symbol = m["pre"] or m["post"]
        value = _number(m["n1"] or m["n2"])
        if value is None:
            continue
        scale = (m["s1"] or m["s2"] or "").strip().lower().rstrip(".")
        value *= _SCALES.get(scale, Decimal(1))
        raw = m.group(0)
        start = m.start() + len(raw) - len(raw.lstrip())
        currency = _SYMBOLS.get(symbol) or _NAMES.get(symbol.lower()) or _currency(symbol)
        out.append(Money(raw.strip(), currency, value, start))
    return out


def key(money: Money) -> str:
    """One spelling for equal amounts: "EUR 12500". Every dollar is one: a deal that writes
    "NZ$1,090" once and "$1,090" after means the same amount."""
    currency = "$" if money.currency in _DOLLAR_CODES else money.currency
    return f"{currency} {money.value.normalize():f}"

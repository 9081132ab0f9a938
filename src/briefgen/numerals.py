"""Numbers written as words, as digits: "thirty-eight clinics" -> "38 clinics", "two thousand
five hundred euros" -> "2500 euros", "sixty percent" -> "60%". Only for reading values out of a
sentence (a price, a seat count, a baseline); quotes keep the words as they were said.

Spoken transcripts and some writers spell numbers out; a price revised on a call ("thirty-eight
clinics" then "41 clinics" in the order form) is only a revision when both are read as numbers.
The reading is text2num's, a maintained parser of spelled-out numbers, not a list of our own.
"""

from __future__ import annotations

import re
from functools import lru_cache

from text_to_num import alpha2digit

_PERCENT = re.compile(r"(\d)\s?(?:percent|per cent)\b", re.I)
# "zero double-bookings" is a target a CSM reads as said; "0 double-bookings" is not clearer.
_ZERO = re.compile(r"(\bzero\b)", re.I)


@lru_cache(maxsize=16_384)
def numerals(text: str) -> str:
    """`text` with its English number words as digits, every one of them ("one user" -> "1
    user") but "zero", and "N percent" as "N%"."""
    if not text:
        return text
    # threshold 0: a lone small number is a value too ("under two errors a week")
    parts = [p if _ZERO.fullmatch(p) else alpha2digit(p, "en", threshold=0) for p in _ZERO.split(text)]
    return _PERCENT.sub(r"\1%", _grouped("".join(parts), text))


_LONG_NUMBER = re.compile(r"(?<![\d.,])\d{5,}(?![\d.,])")


def _grouped(read: str, said: str) -> str:
    """A large number read from words, its thousands grouped: a CSM reads "210,000 dollars" at a
    glance, "210000 dollars" digit by digit. Digits already in the sentence stay as written (an
    order number, a postcode)."""
    written = set(_LONG_NUMBER.findall(said))
    return _LONG_NUMBER.sub(lambda m: m.group(0) if m.group(0) in written else f"{int(m.group(0)):,}", read)

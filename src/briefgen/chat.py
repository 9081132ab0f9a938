"""Chat exports pasted into a note (Slack, Teams, WhatsApp): who wrote each message.

Chat tools export in a few shapes: a stamp and a name before each message ("[08:47] tess.okafor:
...", "12/03/2027, 09:14 - Dan: ..."), or a header line with the author and the time above one
or more message lines ("Rohan Vaz  9:40 AM"). The note's text stays as it is; this only says
who is speaking on a line and where their words begin, so that quotes never include the label.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from .dates import find_dates

_TIME = r"\d{1,2}[:.]\d{2}(?::\d{2})?(?:\s?[AaPp]\.?[Mm]\.?)?"
# 12/03/2027, 2027-03-12, 9 Apr 2027, Apr 9, 2027
_DATE = r"(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}\s+[A-Za-z]{3,9}\.?\s+\d{4}|[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4})"
_AUTHOR = r"[^\s:\[\]][^:\[\]]{0,40}?"
# "[08:47] tess.okafor: text", "[12/03/2027, 09:14:05] Dan: text", "12/03/27, 09:14 - Dan: text",
# "[9 Apr 2027 13:31] Lucy: text"
_STAMPED = re.compile(
    rf"^\[?(?:{_DATE},?\s+)?{_TIME}\]?\s*(?:-\s*)?(?P<author>{_AUTHOR}):\s+(?=\S)",
)
# "Rohan Vaz  9:40 AM" or "Brewlog Bot  APP  9:02 AM" above the message lines
_HEADER = re.compile(rf"^(?P<author>[^\s:][^:]{{0,40}}?)\s{{2,}}(?P<app>APP\s+)?{_TIME}\s*$")
# A line of only a date between messages ("──── Wednesday, February 17th ────")
_SEPARATOR = re.compile(r"^[\W_]{3,}.*[\W_]{3,}$")


@dataclass(frozen=True)
class ChatLine:
    author: str | None  # None: a header line, or an app's message; no one to name
    text_start: int  # where the message's own words begin on the line
    header: bool  # the line only names the author of the lines below it


def read_line(line: str) -> ChatLine | None:
    """The chat shape of one stripped line, or None when it has none."""
    m = _STAMPED.match(line)
    if m:
        return ChatLine(m.group("author").strip(), m.end(), False)
    m = _HEADER.match(line)
    if m:
        author = None if m.group("app") else m.group("author").strip()
        return ChatLine(author, len(line), True)
    return None


def is_chat(text: str) -> bool:
    """Does this note read as a chat export? A few lines in one of the shapes above settle it;
    one stray "10:30 Standup: ..." line in minutes does not."""
    hits = 0
    for line in text.split("\n"):
        if read_line(line.strip()) is not None:
            hits += 1
            if hits >= 3:
                return True
    return False


def attributed(lines: Iterable[str]) -> Iterator[tuple[str | None, int] | None]:
    """For each line of a chat note: None for a header line (it only names the author of the
    lines below it), else who wrote the line (None when no one is known) and where their words
    begin. A date line between messages belongs to no one."""
    current: str | None = None
    for raw in lines:
        line = raw.strip()
        chat = read_line(line) if line else None
        if chat is not None and chat.header:
            current = chat.author
            yield None
        elif chat is not None:
            yield chat.author, chat.text_start
        elif line and _SEPARATOR.match(line):
            current = None
            yield None, 0
        else:
            yield current, 0


def days(lines: Iterable[str], ref: date | None = None, day_first: bool = False) -> Iterator[str | None]:
    """The day each line of a chat note was written (ISO), as the export says it: a date line
    between messages ("=== 2027-02-15 ===", "──── Wednesday, February 17th ────") dates the
    messages below it, and a stamp with a date ("[12/03/2027, 09:14] Dan:") its own line and
    those below. None until the note names a day; `ref` (the note's own date) gives a day
    written without its year one."""
    current: str | None = None
    for raw in lines:
        line = raw.strip()
        stamped = _STAMPED.match(line) if line else None
        said = line if line and _SEPARATOR.match(line) else line[: stamped.end()] if stamped else ""
        if said:
            day = next((value for _, value in find_dates(said, ref, day_first) if value), None)
            if day is not None:
                current = day.isoformat()
        yield current


def authors(text: str) -> list[tuple[str, str]]:
    """Each author of a chat note once, with the first message line they wrote."""
    out: dict[str, str] = {}
    for raw, said in zip(text.split("\n"), attributed(text.split("\n")), strict=True):
        line = raw.strip()
        if said is not None and line and said[0] and said[0] not in out:
            out[said[0]] = line[said[1] :]
    return list(out.items())

"""Splitting a source into quotable sentences that know who said them and under which heading."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from .chat import attributed, days, is_chat
from .dates import parse_date
from .passage import Passage

_SPLIT = re.compile(r"(?<=[.!?])[\"”)]?\s+(?=[\"“(]?[A-Z0-9])")
# A full stop that ends an abbreviation or an initial, not a sentence: "(approx. 4,100 users",
# "i.e. EUR 277.440", "excl. VAT", "Dr. Roe", "R. Peeters".
_ABBREVIATION = re.compile(
    r"(?:^|[\s(])(?:mr|mrs|ms|dr|prof|st|vs|approx|appr|ca|incl|excl|e\.g|i\.e|cf|jr|sr|dept|tel|ref|resp|"
    r"bzw|ggf|inkl|zzgl|evtl|z\.b|d\.h|u\.a|env|p\.ex|aprox|pág|ex)\.$",
    re.I,
)
_INITIAL = re.compile(r"(?:^|[\s(])[A-Z]\.$")

# "Ana Lima:", "SPEAKER_01:", "Speaker 2:" (a label; resolved later when it says who it is),
# and a meeting's caption with the company or a tag after the name, "Ana Lima (Moldwise):".
_SPEAKER = re.compile(
    r"^([A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|\d{1,6})){0,3}(?:\s+\([^()\n:]{1,40}\))?)\s*:\s+"
)
_HEADER_LINE = re.compile(
    r"^(?:date|when|time|attendees|participants|present|stakeholders|from|to|cc|subject|location)\s*:",
    re.I,
)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_HEADING = re.compile(r"^\s*#+\s*(.+?)\s*#*\s*$")
# A title line of a plain-text or HTML document ("Included", "**Agreed success measures:**"):
# a few words, no sentence punctuation; it heads the indented or bulleted lines that follow.
_TITLE = re.compile(r"^\s*(?:\*\*|__)?([A-Za-z][^.!?:;,]{1,48}?)(?:\*\*|__)?\s*:?\s*(?:\*\*|__)?\s*$")
# A line that stops mid-sentence: no closing punctuation, or it ends on a comma or a word
# that cannot end a clause.
_OPEN_END = re.compile(
    r"(?:,|\b(?:a|an|the|and|or|but|to|of|for|with|in|on|at|by|from|that|which|who|if|as|is|are|"
    r"was|were|be|we|our|their|your|my|this|these|will|would|can|could|should|not|than|so))$",
    re.I,
)
# A line that starts with its own label: "todo: call Leah", "open q: BAA?", "pilot clinic = Elm St".
_LABELLED = re.compile(r"^[A-Za-z][\w#/&.-]*(?: [\w#/&.-]+){0,2} ?[:=] \S")
# Mail clients wrap prose at 66–80 characters; a note's own line is usually shorter.
WRAP_MIN = 40
WRAP_MAX = 80
WRAP_SLACK = 6  # a wrapped line ends this close to its width: the next word did not fit


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


@dataclass(frozen=True)
class Sentence:
    source_id: str
    text: str  # verbatim substring of the source's text
    kind: str
    date: str | None
    speaker: str | None  # transcript speaker or email author
    heading: str  # the note heading the sentence sits under, lower-cased
    order: int  # position across the deal's sources, oldest source first
    day_first: bool = False  # the deal writes numeric dates day first ("5/3" is the 5th of March)


def speaker_line(line: str) -> tuple[str, str] | None:
    """A transcript line's speaker label and what they said, or None for a line without one."""
    m = _SPEAKER.match(line.strip())
    return (m.group(1), line.strip()[m.end() :]) if m else None


def _abbreviated(text: str) -> bool:
    """Ends on an abbreviation or an initial rather than on the end of a sentence."""
    return bool(_ABBREVIATION.search(text) or _INITIAL.search(text))


def _wrap_width(lines: list[str], mail: bool = True) -> int:
    """The width a mail client or an editor wrapped this text at, or 0 when it was not
    wrapped: at least half of its long lines end within a few characters of one width and none
    runs past it. A note's lines of about one length by chance are not enough: a note counts as
    wrapped only when a third of those lines, and two at least, also break mid-sentence: the
    next line goes on in lower case, or the line ends on a word no clause ends with."""
    ends = [x.rstrip() for x in lines]
    long = sorted(len(x) for x in ends if len(x) >= WRAP_MIN)
    if len(long) < 3 or long[-1] > WRAP_MAX:
        return 0
    width = long[-1]
    # An editor's wrap is judged with the wider margin a line may fall short of it by.
    slack = WRAP_SLACK if mail else WRAP_SLACK * 2
    near = [at for at, x in enumerate(ends) if len(x) >= width - slack]
    if len(near) < 3 or len(near) < len(long) / 2:
        return 0
    if not mail:
        broken = sum(
            1
            for at in near
            if at + 1 < len(ends)
            and not ends[at].endswith((".", "!", "?"))
            and (ends[at + 1].strip()[:1].islower() or _OPEN_END.search(ends[at]))
        )
        if broken < max(2, len(near) / 3):
            return 0
    return width


def _continues(line: str, nxt: str, width: int = 0, hanging: bool = False) -> bool:
    """Is `nxt` the rest of `line`, broken by a mail client's line wrap? In text wrapped at
    `width`, a line that fills it and stops mid-sentence goes on whatever the next line starts
    with ("… will be dated" / "1 July 2027"); so does a list item's line with the next indented
    under it (`hanging`)."""
    if not nxt or _BULLET.match(nxt) or _HEADING.match(nxt) or _HEADER_LINE.match(nxt):
        return False
    if not width and not hanging and _LABELLED.match(nxt):
        # "todo: CSM intro call", "open q: ...": the next item of lines not wrapped at a width
        # (where "... here's what we can / do: $4,200" is one sentence).
        return False
    if _HEADER_LINE.match(line):
        return False  # "Attendees: …" is a line of its own however long
    if len(line) >= WRAP_MIN and _abbreviated(line):
        return True  # "(approx." wrapped before "4,100 users)"
    if line.endswith((".", "!", "?", ":", ";")):
        return False
    if hanging or (width and len(line) >= width - WRAP_SLACK * 2):
        return True
    if len(line) < WRAP_MIN:
        # A short line continues only when it stops on a word no clause ends with.
        return nxt[0].islower() and bool(_OPEN_END.search(line)) and not line.endswith(",")
    return nxt[0].islower() or bool(_OPEN_END.search(line))


def _lines(text: str, joinable: bool, mail: bool = False) -> Iterator[str]:
    """The source's lines, a wrapped paragraph given as one line that keeps its own line
    breaks, so that what is quoted stays verbatim."""
    raw = text.split("\n")
    width = _wrap_width(raw, mail) if joinable else 0
    i = 0
    while i < len(raw):
        start = i
        item = _BULLET.match(raw[i])
        while (
            joinable
            and i + 1 < len(raw)
            and _continues(
                raw[i].strip(),
                raw[i + 1].strip(),
                width,
                hanging=item is not None and _indent(raw[i + 1]) >= len(item.group()) > _indent(raw[start]),
            )
        ):
            i += 1
        yield "\n".join(raw[start : i + 1])
        i += 1


def _title(line: str, after: list[str]) -> str:
    """The heading a title line gives the block under it, or "" when the line is not one."""
    m = _TITLE.match(line)
    if not m or _BULLET.match(line) or len(m.group(1).split()) > 6:
        return ""
    nxt = next((x for x in after if x.strip()), "")
    return m.group(1).strip().lower() if nxt[:1].isspace() or _BULLET.match(nxt.strip()) else ""


def _pieces(line: str) -> list[str]:
    """A line cut into its sentences, never after an abbreviation or an initial."""
    out, start = [], 0
    for m in _SPLIT.finditer(line):
        before = line[start : m.start()]
        if _abbreviated(before):
            continue
        out.append(before)
        start = m.end()
    out.append(line[start:])
    return out


def split_passage(
    passage: Passage, order_start: int = 0, day_first: bool = False, undated: date | None = None
) -> list[Sentence]:
    """The passage's sentences, numbered from `order_start`. `undated`: the date a chat export
    without one of its own reads a day line's month and day in (`dates.undated_reference`)."""
    out: list[Sentence] = []
    heading = ""
    titled = ""  # a title line's heading, for the indented or bulleted block under it
    order = order_start
    chat = passage.kind == "note" and is_chat(passage.text)
    lines = list(
        _lines(passage.text, joinable=passage.kind != "transcript" and not chat, mail=passage.kind == "email")
    )
    # Who wrote each line of a chat note, and where their words begin after the label.
    authors = list(attributed(lines)) if chat else [(None, 0)] * len(lines)
    # The day each message was written: a chat export runs over weeks under one file date.
    ref = parse_date(passage.date) if passage.date else undated
    written = list(days(lines, ref, day_first)) if chat else [None] * len(lines)
    for at, raw_line in enumerate(lines):
        line = raw_line.strip()
        said = authors[at]
        if not line or said is None:
            continue
        said_by, line = said[0], line[said[1] :]
        m = _HEADING.match(line)
        if m:
            heading, titled = m.group(1).lower(), ""
            continue
        if titled and not (raw_line[:1].isspace() or _BULLET.match(line)):
            titled = ""
        title = _title(line, lines[at + 1 :])
        if title:
            titled = title
            continue
        if _HEADER_LINE.match(line):
            continue
        speaker = passage.author if passage.kind == "email" else said_by
        if passage.kind == "transcript":
            sm = _SPEAKER.match(line)
            if sm:
                speaker = sm.group(1)
                line = line[sm.end() :]
        line = _BULLET.sub("", line)
        for piece in _pieces(line):
            piece = piece.strip()
            if len(piece) < 12 or len(piece.split()) < 3:
                continue
            out.append(
                Sentence(
                    passage.source_id,
                    piece,
                    passage.kind,
                    written[at] or passage.date,
                    speaker,
                    titled or heading,
                    order,
                    day_first,
                )
            )
            order += 1
    return out

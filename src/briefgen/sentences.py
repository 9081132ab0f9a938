"""Splitting a source into quotable sentences that know who said them and under which heading."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .engines.base import Passage

_SPLIT = re.compile(r"(?<=[.!?])[\"”)]?\s+(?=[\"“(]?[A-Z0-9])")
_SPEAKER = re.compile(r"^([A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3})\s*:\s+")
_HEADER_LINE = re.compile(
    r"^(?:date|when|time|attendees|participants|present|stakeholders|from|to|cc|subject|location)\s*:",
    re.I,
)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_HEADING = re.compile(r"^\s*#+\s*(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Sentence:
    source_id: str
    text: str  # verbatim substring of the source's text
    kind: str
    date: str | None
    speaker: str | None  # transcript speaker or email author
    heading: str  # the note heading the sentence sits under, lower-cased
    order: int  # position across the deal's sources, oldest source first


def split_passage(passage: Passage, order_start: int = 0) -> list[Sentence]:
    out: list[Sentence] = []
    heading = ""
    order = order_start
    for raw_line in passage.text.split("\n"):
        line = raw_line.strip()
        if not line:
            continue
        m = _HEADING.match(line)
        if m:
            heading = m.group(1).lower()
            continue
        if _HEADER_LINE.match(line):
            continue
        speaker = passage.author if passage.kind == "email" else None
        if passage.kind == "transcript":
            sm = _SPEAKER.match(line)
            if sm:
                speaker = sm.group(1)
                line = line[sm.end() :]
        line = _BULLET.sub("", line)
        for piece in _SPLIT.split(line):
            piece = piece.strip()
            if len(piece) < 12 or len(piece.split()) < 3:
                continue
            out.append(
                Sentence(passage.source_id, piece, passage.kind, passage.date, speaker, heading, order)
            )
            order += 1
    return out

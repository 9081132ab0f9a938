"""A deal read once, before any engine: its passages oldest first, its sentences numbered, the
people in it with their sides, and the sentences no engine may use as content (text addressed to
a model, secrets, repeats).

Every engine cites sentences of this reading by number, and the pipeline turns those numbers
back into verbatim quotes, so a citation cannot point at words the sources do not hold.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .dates import numeric_day_first, undated_reference
from .passage import Passage
from .people import People
from .safety import find_secrets, is_injection
from .schema import Deal, Side
from .sections import classify, vectors
from .sentences import Sentence, split_passage
from .speakers import resolve_placeholders

_SID = re.compile(r"\d+")


def sid(s: Sentence) -> str:
    """The label a sentence carries where a model reads it: `S1` is the deal's first."""
    return f"S{s.order + 1}"


def parse_sid(value: object) -> int | None:
    """A sentence's order from what a model wrote for it ("S12", "[S12]", "12", 12)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value - 1
    m = _SID.search(str(value))
    return int(m.group()) - 1 if m else None


def text_key(text: str) -> str:
    """What two spellings of one sentence or value share: case, punctuation and spacing ignored."""
    return re.sub(r"\W+", " ", text.lower()).strip()


@dataclass
class Reading:
    deal: Deal
    passages: list[Passage]
    sentences: list[Sentence]  # every sentence; `order` is its number in the deal
    usable: list[Sentence]  # what an engine may cite: no instructions, no secrets, no repeats
    flagged: list[Sentence]  # text addressed to a model
    secret_hits: list[tuple[Sentence, tuple[int, int]]]  # a secret's span in its sentence
    people: People
    side_of: dict[str, Side] = field(default_factory=dict)  # full and first names
    by_passage: list[list[Sentence]] = field(default_factory=list)  # each passage's sentences
    _sections: list[dict[str, float]] | None = field(default=None, repr=False)
    _vectors: np.ndarray | None = field(default=None, repr=False)

    def sentence(self, order: int) -> Sentence | None:
        return self.sentences[order] if 0 <= order < len(self.sentences) else None

    @property
    def citable(self) -> set[int]:
        return {s.order for s in self.usable}

    @property
    def sections(self) -> list[dict[str, float]]:
        """Per usable sentence, the probability of each section label, read in context (its
        source); computed once, on first use."""
        if self._sections is None:
            self._sections = classify([s.text for s in self.usable], [s.source_id for s in self.usable])
        return self._sections

    @property
    def vectors(self) -> np.ndarray:
        """Per usable sentence, its embedding (unit length): what it says, to tell a sentence
        from one that says it again in other words."""
        if self._vectors is None:
            self._vectors = vectors([s.text for s in self.usable])
        return self._vectors

    @cached_property
    def rows(self) -> dict[int, int]:
        """Each usable sentence's row in `sections` and `vectors`, by its number."""
        return {s.order: i for i, s in enumerate(self.usable)}

    def likely(self, label: str, floor: float) -> set[int]:
        """Numbers of the usable sentences at least `floor` likely to be `label`."""
        return {s.order for s, p in zip(self.usable, self.sections, strict=True) if p[label] >= floor}


def read_deal(deal: Deal, evidence: list[Passage], vendor_domains: tuple[str, ...] = ()) -> Reading:
    passages = sorted(evidence, key=lambda p: (p.date or "", p.source_id, p.start))
    people = People(deal, vendor_domains)
    for p in passages:
        people.scan(p)
    sentences: list[Sentence] = []
    by_passage: list[list[Sentence]] = []
    day_first = numeric_day_first([p.text for p in passages])
    undated = undated_reference([p.date for p in passages], deal.close_date)
    for p in passages:
        named = resolve_placeholders(p, split_passage(p, len(sentences), day_first, undated), people)
        by_passage.append(named)
        sentences.extend(named)
    flagged: list[Sentence] = []
    secret_hits: list[tuple[Sentence, tuple[int, int]]] = []
    usable: list[Sentence] = []
    seen: set[str] = set()
    for s in sentences:
        if is_injection(s.text):
            flagged.append(s)
            continue
        spans = find_secrets(s.text)
        if spans:
            secret_hits.append((s, (spans[0][0], spans[-1][1])))
            continue
        key = text_key(s.text)
        if key in seen:
            continue
        seen.add(key)
        usable.append(s)
    lines_by_speaker: dict[str, list[str]] = defaultdict(list)
    for s in sentences:
        if s.speaker and s.kind != "email":  # a call's speakers, a chat's authors
            lines_by_speaker[s.speaker].append(s.text)
    people.finalize(lines_by_speaker)
    side_of = {p.name: p.side for p in people.people.values()}
    for person in people.people.values():
        side_of[person.first] = person.side
    # Each speaker label as written ("OWEN PRICE" on a call, "Owen Price" on his mail).
    for s in sentences:
        if s.speaker and s.speaker not in side_of:
            found = people.find(s.speaker)
            side_of[s.speaker] = found.side if found is not None else people.side_of_label(s.speaker)
    return Reading(deal, passages, sentences, usable, flagged, secret_hits, people, side_of, by_passage)

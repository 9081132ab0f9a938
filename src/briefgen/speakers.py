"""Who "Speaker 2" is: a transcript that does not know its speakers' names often hears them
introduce themselves ("Henrik here", "hi, this is Wanjiru from finance"). A placeholder label
that introduces itself as one person, and as nobody else, takes that person's name."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace

from .passage import Passage
from .people import People, is_placeholder
from .sentences import Sentence, speaker_line

_WORD = r"[A-ZÀ-Þ][a-zà-ÿ'’-]{1,30}"
_CANDIDATE = rf"({_WORD}(?: {_WORD})?)"
# A self-introduction. "I'm Dana," says who speaks; "this is Excel." does not, so "this is"
# needs a known name or the words that follow a name on a call ("from", "with", "here").
_INTRO = re.compile(
    rf"\b(?:(?:my name is|I'm|I am)\s+{_CANDIDATE}(?=\s*[,.]|\s+(?:from|with|at|here)\b|\s*$)"
    rf"|this is\s+{_CANDIDATE}(\s+(?:from|with|at|here)\b)?)"
    rf"|(?:^|[,.!]\s+|\b(?:Yes|Hi|Hello),?\s+){_CANDIDATE}\s+here\b"
)


def introduced(text: str, people: People) -> set[str]:
    names: set[str] = set()
    for m in _INTRO.finditer(text):
        said_as_self = m.group(1) or m.group(4)
        if said_as_self:
            names.add(said_as_self)
        elif m.group(2) and (m.group(3) or people.find(m.group(2)) is not None):
            names.add(m.group(2))
    return names


def resolve_placeholders(passage: Passage, sentences: list[Sentence], people: People) -> list[Sentence]:
    """The passage's sentences with each self-introduced placeholder speaker renamed; the
    person is added to `people` with the line that introduced them as their quote."""
    if passage.kind != "transcript":
        return sentences
    heard: dict[str, dict[str, str]] = defaultdict(dict)
    for line in passage.text.split("\n"):
        said = speaker_line(line)
        if said and is_placeholder(said[0]):
            for name in introduced(said[1], people):
                heard[said[0]].setdefault(name, said[1])
    names: dict[str, str] = {}
    for label, intros in heard.items():
        persons = {id(found) if (found := people.find(n)) else n for n in intros}
        if len(persons) != 1:
            continue  # two different names from one label: a mention, not an introduction
        name, line = next(iter(intros.items()))
        person = people.add(name, quote=(passage.source_id, line))
        if person is not None:
            person.spoke_in.add(passage.source_id)
            names[label] = person.name
    if not names:
        return sentences
    return [replace(s, speaker=names[s.speaker]) if s.speaker in names else s for s in sentences]

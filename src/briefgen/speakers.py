"""Who "Speaker 2" is: a transcript that does not know its speakers' names often hears them
introduce themselves ("Henrik here", "hi, this is Wanjiru from finance"). A placeholder label
that introduces itself as one person, and as nobody else, takes that person's name."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace

from .passage import Passage
from .people import People, is_placeholder, is_title
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

# Round-robin introductions: a label's first words on the call are a full name and what they
# do ("Sure. Luis Arriaga, VP of maintenance", "Earl Dobbins. North region supervisor.").
_NAME_FIRST = re.compile(
    rf"^(?:(?:Sure|Yeah|Yes|Hi|Hello|Hey|Okay|OK|So|Morning|Hi all|Hi everyone)[,.!]?\s+"
    rf"|(?i:hi|hello|hey)\s+[A-Za-z]+[,.!]\s+)*"
    rf"({_WORD} {_WORD})(?:\s*[,.]\s+|\s+here\b)"
)


def introduced(text: str, people: People, first: bool = False) -> dict[str, str | None]:
    """The names a line introduces its speaker by, each with the job said right after it
    ("I'm Kiran Malhotra, solutions engineer at Kettlewise")."""
    names: dict[str, str | None] = {}
    for m in _INTRO.finditer(text):
        said_as_self = m.group(1) or m.group(4)
        if said_as_self:
            names[said_as_self] = _job_after(text, m.end())
        elif m.group(2) and (m.group(3) or people.find(m.group(2)) is not None):
            names[m.group(2)] = _job_after(text, m.end())
    opening = _NAME_FIRST.match(text) if first else None
    if opening:
        # "Thanks Dana. So…" starts the same way: a name is one known, or followed by a job.
        job = _job_after(text, opening.end(1))
        if job or people.find(opening.group(1)) is not None:
            names[opening.group(1)] = job
    return names


def _job_after(text: str, end: int) -> str | None:
    clause = re.split(r"[.;!?]\s", text[end:].lstrip(" ,.") + " ", maxsplit=1)[0].strip()
    clause = re.sub(r"^(?:and\s+)?(?:I'm|I am)\s+(?:the\s+|an?\s+)?", "", clause)
    # "I own Harrowby Landscaping", "I run the night shift": what they do, said of them.
    does = re.match(r"^(?:and\s+)?I\s+(own|run|head|lead|manage)\b", clause, re.I)
    if does:
        return f"{does.group(1).lower()}s{clause[does.end() :].split(',')[0]}"[:80]
    return clause[:80] if clause and is_title(clause) else None


def resolve_placeholders(passage: Passage, sentences: list[Sentence], people: People) -> list[Sentence]:
    """The passage's sentences with each self-introduced placeholder speaker renamed; the
    person is added to `people` with the line that introduced them as their quote."""
    if passage.kind != "transcript":
        return sentences
    heard: dict[str, dict[str, str]] = defaultdict(dict)
    spoke: set[str] = set()
    jobs: dict[str, str | None] = {}
    for line in passage.text.split("\n"):
        said = speaker_line(line)
        if said and is_placeholder(said[0]):
            # A label's first turn of some length: a chat visitor's "pricing" is not where
            # they say who they are.
            first = said[0] not in spoke
            if len(said[1].split()) >= 5:
                spoke.add(said[0])
            for name, job in introduced(said[1], people, first).items():
                heard[said[0]].setdefault(name, said[1])
                jobs.setdefault(name, job)
    names: dict[str, str] = {}
    for label, intros in heard.items():
        persons = {id(found) if (found := people.find(n)) else n for n in intros}
        if len(persons) != 1:
            continue  # two different names from one label: a mention, not an introduction
        name, line = next(iter(intros.items()))
        person = people.add(name, title=jobs.get(name), quote=(passage.source_id, line))
        if person is not None:
            person.spoke_in.add(passage.source_id)
            names[label] = person.name
    if not names:
        return sentences
    return [replace(s, speaker=names[s.speaker]) if s.speaker in names else s for s in sentences]

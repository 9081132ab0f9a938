"""A model's review of the offline findings: which to drop, which to move, what to add.

In assist mode the model does not write the brief again. It sees the offline engine's findings
as numbered candidates (`C3 risks [S12] …`) and answers with what is wrong with them; a
candidate the answer does not name stays. Asked to rewrite the whole brief from the candidates,
a small model wrote a fraction of them back (48 output tokens for a deal with twenty), so the
brief lost what the reader had found; asked what to change, the brief keeps the reader's recall
whatever the model's judgement is worth, and the answer is short.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from . import prompts
from .draft import (
    Draft,
    DraftCommitment,
    DraftCriterion,
    DraftHandoff,
    DraftMilestone,
    DraftRisk,
    DraftStakeholder,
    DraftText,
    answer_schema,
    to_findings,
)
from .findings import SECTIONS, Finding, Findings
from .people import fold
from .reading import Reading, sid
from .safety import mask_secrets
from .sentences import Sentence

# Sections a candidate can be moved to: people are the reading's, not a judgement.
Section = Literal[
    "goals", "success_criteria", "risks", "commitments", "timeline", "open_questions", "next_steps"
]
MAX_ADDS = 3
QUOTE_CHARS = 110  # of a candidate's sentence shown beside it: enough to judge it by


def _list(limit: int) -> object:
    return Field(default_factory=list, max_length=limit, json_schema_extra={"maxItems": limit})


class Additions(BaseModel):
    """What the reader missed, each citing the sentences it rests on."""

    model_config = ConfigDict(extra="ignore")
    goals: list[DraftText] = _list(MAX_ADDS)  # type: ignore[assignment]
    stakeholders: list[DraftStakeholder] = _list(MAX_ADDS)  # type: ignore[assignment]
    success_criteria: list[DraftCriterion] = _list(MAX_ADDS)  # type: ignore[assignment]
    risks: list[DraftRisk] = _list(MAX_ADDS)  # type: ignore[assignment]
    commitments: list[DraftCommitment] = _list(MAX_ADDS)  # type: ignore[assignment]
    timeline: list[DraftMilestone] = _list(MAX_ADDS)  # type: ignore[assignment]
    open_questions: list[DraftText] = _list(MAX_ADDS)  # type: ignore[assignment]
    next_steps: list[DraftText] = _list(MAX_ADDS)  # type: ignore[assignment]


KEEP, DROP = "keep", "drop"
VERDICTS = (KEEP, DROP, *get_args(Section))  # a section name moves the candidate there


class Review(BaseModel):
    model_config = ConfigDict(extra="ignore")
    # One verdict per candidate, required by the schema built for the deal (`review_schema`):
    # a small model asked for lists of what to drop named nothing and echoed the candidates.
    verdicts: dict[str, str] = Field(default_factory=dict)
    add: Additions = Field(default_factory=Additions)
    handoff_risk: DraftHandoff = Field(default_factory=DraftHandoff)


def review_schema(numbered: dict[str, Finding], max_chars: int) -> dict[str, Any]:
    """The schema of one deal's review: `verdicts` has a required property per candidate whose
    value is keep, drop or the section it belongs in, so the model judges every one of them."""
    schema = answer_schema(Review, MAX_ADDS, max_chars)
    schema["properties"]["verdicts"] = {
        "type": "object",
        "description": "for each candidate: keep, drop, or the section it belongs in",
        "properties": {h: {"type": "string", "enum": list(VERDICTS)} for h in numbered},
        "required": list(numbered),
        "additionalProperties": False,
    }
    schema["required"] = ["verdicts", *[r for r in schema.get("required", []) if r != "verdicts"]]
    return schema


# A candidate asked about alone is dropped only when the model's probability of answering yes
# falls below this. On the eval's dev split the local model's probability did not tell useful
# candidates from noise (ROC AUC 0.51 over 160 candidates of 12 deals, every one at 0.35 or more; see
# evals/README.md), so only a clear no drops one: a model that cannot judge must not thin a brief.
KEEP_PROBABILITY = 0.3

# The task closing a review prompt that asks for every verdict at once.
WHOLE_TASK = "Review the candidates for this deal now: one JSON object matching the schema above."
# The answer to one question about one candidate.
YES_NO: dict[str, Any] = {
    "type": "object",
    "properties": {"answer": {"type": "string", "enum": ["yes", "no"]}},
    "required": ["answer"],
    "additionalProperties": False,
}


class YesNo(BaseModel):
    model_config = ConfigDict(extra="ignore")
    answer: Literal["yes", "no"]


def _cited(f: Finding, reading: Reading) -> list[Sentence]:
    return [s for s in (reading.sentence(i) for i in f.ids) if s is not None]


def questions(numbered: dict[str, Finding], reading: Reading) -> dict[str, str]:
    """One question per candidate, closing a prompt that is otherwise the same for all of them:
    a server that caches the prompt's prefix reads the deal once and each question in a second.
    A small model asked for every verdict in one answer fell into a pattern (keep, keep, drop,
    drop, drop …); asked one at a time, it answers each on its own (how well: evals/README.md)."""
    template = prompts.load("review.question")
    meaning = dict(
        (key.strip(), text.strip())
        for key, _, text in (
            line.partition(":") for line in prompts.load("review.sections").render().splitlines()
        )
        if text
    )
    out: dict[str, str] = {}
    for handle, f in numbered.items():
        cited = _cited(f, reading)
        if not cited:
            continue
        words = (f.text or " ".join(s.text for s in cited)).replace("\n", " ").replace('"', "'")
        out[handle] = template.render(
            ids="+".join(sid(s) for s in cited),
            section=f.section.replace("_", " "),
            words=mask_secrets(words),
            meaning=meaning.get(f.section, f.section.replace("_", " ")),
        )
    return out


def handles(found: Findings) -> dict[str, Finding]:
    """The candidates a model reviews, by the number it knows them by (C1 …): every finding
    except people, in the order of the brief's sections."""
    ordered = [f for section in SECTIONS if section != "stakeholders" for f in found.in_section(section)]
    return {f"C{n}": f for n, f in enumerate(ordered, start=1)}


def candidate_lines(found: Findings, numbered: dict[str, Finding], reading: Reading) -> str:
    """The people the reader found, then one line per candidate: its number, section, the
    sentences it cites and the start of the first of them."""
    people = [
        f"{f.fields['name']} ({f.fields.get('side', 'unknown')}"
        + (f", {f.fields['title']}" if f.fields.get("title") else "")
        + ")"
        for f in found.in_section("stakeholders")
    ]
    lines = [f"people: {'; '.join(people) or '(none)'}"]
    for handle, f in numbered.items():
        cited = _cited(f, reading)
        if not cited:
            continue
        words = (f.text or cited[0].text).replace("\n", " ").replace('"', "'")
        if len(words) > QUOTE_CHARS:
            words = words[: QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"
        lines.append(f"{handle} {f.section} [{'+'.join(sid(s) for s in cited)}] {words}")
    return mask_secrets("\n".join(lines))


def _handle(value: str) -> str:
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    return f"C{int(digits)}" if digits else ""


def apply(
    review: Review, found: Findings, numbered: dict[str, Finding], reading: Reading, engine: str
) -> Findings:
    """The offline findings with the review's drops, moves and additions. A number that names
    no candidate changes nothing; an added item citing exactly what a kept candidate of the same
    section cites is a repeat and is left out; a person the reader already found is refined
    (role, sentiment, motivation), never replaced or removed."""
    verdicts = {_handle(h): str(v).strip().lower() for h, v in review.verdicts.items()}
    handle_of = {id(f): h for h, f in numbered.items()}
    kept: list[Finding] = []
    for f in found.items:
        verdict = verdicts.get(handle_of.get(id(f), ""), KEEP)
        if verdict == DROP:
            continue
        if verdict in VERDICTS and verdict not in (KEEP, f.section):
            # The fields were read for the old section; the pipeline reads them again.
            f = Finding(verdict, f.ids, text=f.text, quotes=f.quotes)
        kept.append(f)
    # Additions has the Draft's section names, so one conversion serves both.
    additions = review.add.model_dump()
    for items in additions.values():
        for item in items:
            item["ids"] = _expand(item["ids"], numbered, reading)
    draft = Draft.model_validate({**additions, "handoff_risk": review.handoff_risk.model_dump()})
    added = to_findings(draft, reading, engine)
    seen = {(f.section, f.ids) for f in kept}
    people = {fold(str(f.fields.get("name", ""))): f for f in kept if f.section == "stakeholders"}
    new: list[Finding] = []
    for f in added.items:
        if f.section == "stakeholders":
            known = _known_person(str(f.fields.get("name", "")), people)
            if known is not None:
                _refine(known, f)
                continue
        if (f.section, f.ids) not in seen:
            new.append(f)
    return Findings(
        engine=engine,
        items=kept + new,
        handoff_level=added.handoff_level,
        unknown_ids=added.unknown_ids,
    )


def _expand(ids: list[str], numbered: dict[str, Finding], reading: Reading) -> list[str]:
    """Sentence numbers for what an added item cites: a model citing a candidate (C4) means the
    sentences that candidate rests on."""
    out: list[str] = []
    for raw in ids:
        handle = _handle(raw) if str(raw).strip().upper().startswith("C") else ""
        if handle in numbered:
            out += [sid(s) for s in _cited(numbered[handle], reading)]
        else:
            out.append(raw)
    return out


def _known_person(name: str, people: dict[str, Finding]) -> Finding | None:
    """The reader's person a model's name refers to: the same name, or their first name alone
    ("Henrik" for Henrik Dahl) when only one person has it."""
    key = fold(name)
    if key in people:
        return people[key]
    firsts = [
        f for full, f in people.items() if full.split()[:1] == key.split()[:1] and len(key.split()) == 1
    ]
    return firsts[0] if len(firsts) == 1 else None


def _refine(person: Finding, said: Finding) -> None:
    for key, unset in (("role", "other"), ("sentiment", "unknown")):
        value = said.fields.get(key)
        if value and value != unset and person.fields.get(key) in (None, unset):
            person.fields[key] = value
    motivations = [m for m in said.fields.get("motivations", []) if m]
    if motivations and not person.fields.get("motivations"):
        person.fields["motivations"] = motivations

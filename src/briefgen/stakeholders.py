"""Stakeholders by rules from the people a deal names: role from what is said about them,
sentiment from how they speak, evidence from the lines that name them."""

from __future__ import annotations

import re

from . import cues
from .people import People, Person, role_for
from .schema import Evidence, Sentiment, Side, Stakeholder
from .sentences import Sentence


def stakeholders(people: People, sentences: list[Sentence]) -> list[Stakeholder]:
    """Everyone the deal names with a quote to show for them, the customer's people first."""
    out: list[Stakeholder] = []
    for person in people.people.values():
        about = _sentences_about(person, people, sentences)
        texts = [clause for _, clause in about]
        role = role_for(person, texts)
        score = sum(1 for t in texts if cues.POSITIVE.search(t)) - sum(
            1 for t in texts if cues.NEGATIVE.search(t)
        )
        sentiment = (
            Sentiment.unknown
            if not texts and person.side is not Side.vendor
            else Sentiment.positive
            if score > 0
            else Sentiment.negative
            if score < 0
            else Sentiment.neutral
        )
        if person.side is Side.vendor:
            sentiment = Sentiment.unknown
        motivations = [
            clause
            for _, clause in about
            if cues.GOAL.search(clause) or cues.NEGATIVE.search(clause) or cues.POSITIVE.search(clause)
        ][:3]
        # Without a citable quote of their own (a bare sign-off name is none) a line about them
        # serves instead.
        evidence = [Evidence(source_id=sid, quote=q) for sid, q in person.citable_quotes[:2]]
        used = {e.quote for e in evidence}
        for s, clause in about:
            if len(evidence) >= 4:
                break
            # The whole sentence is quoted: a clause cut at the next name ("Adaeze and") can be
            # too short to verify.
            if s.text not in used and (clause in motivations or not evidence):
                evidence.append(Evidence(source_id=s.source_id, quote=s.text))
                used.add(s.text)
        if not evidence:
            continue  # a name seen only in a header we cannot quote: not citable
        out.append(
            Stakeholder(
                name=person.name,
                title=person.title,
                organization=person.organization,
                email=person.email,
                side=person.side,
                role=role,
                sentiment=sentiment,
                motivations=motivations,
                evidence=evidence,
            )
        )
    order = {"customer": 0, "unknown": 1, "vendor": 2}
    out.sort(key=lambda s: (order[s.side.value], _ROLE_ORDER.index(s.role.value), s.name))
    return out


_ROLE_ORDER = [
    "economic_buyer",
    "executive_sponsor",
    "champion",
    "project_owner",
    "technical_lead",
    "blocker",
    "billing",
    "end_user",
    "other",
]


def _sentences_about(person: Person, people: People, sentences: list[Sentence]) -> list[tuple[Sentence, str]]:
    """Sentences whose subject is the person (they come first among the people named, or the
    person says it in the first person), each with the part of it about them."""
    names = [person.name, person.first]
    others = [p for p in people.people.values() if p is not person]
    out = []
    for s in sentences:
        text = s.text
        pos = min((text.find(n) for n in names if re.search(rf"\b{re.escape(n)}\b", text)), default=-1)
        if pos >= 0:
            other_pos = [text.find(o.first) for o in others if re.search(rf"\b{re.escape(o.first)}\b", text)]
            if not other_pos or pos <= min(other_pos):
                later = [p for p in other_pos if p > pos]
                # Only the clause about this person counts: from their name up to the next person.
                clause = text[pos : min(later)] if later else text[pos:]
                out.append((s, clause))
                continue
        if s.speaker and people.find(s.speaker) is person and re.match(r"^(?:I|I'm|I'll|I've|My|Me)\b", text):
            out.append((s, text))
    return out

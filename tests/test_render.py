"""Rendering a brief: every id in the HTML is unique, every citation links to its note."""

from __future__ import annotations

import re
from collections import Counter

from briefgen.render import render
from briefgen.schema import Brief, Evidence, Goal, HandoffRisk, Risk, Severity


def test_a_note_cited_twice_gives_one_anchor_and_two_links() -> None:
    shared = Evidence(source_id="s1", quote="Cut no-shows from 18% to 10% by March.")
    other = Evidence(source_id="s2", quote="The board meets in May.")
    brief = Brief(
        deal_id="d",
        summary="s",
        goals=[Goal(text="Cut no-shows", evidence=[shared]), Goal(text="Board in May", evidence=[other])],
        risks=[Risk(description="No-shows stay high", evidence=[shared, other])],
        handoff_risk=HandoffRisk(level=Severity.low, recommendation="-"),
        engine="extractive",
    )
    page = render(brief, "html")
    ids = Counter(re.findall(r'\bid="([^"]+)"', page))
    assert ids and max(ids.values()) == 1, ids
    links = re.findall(r'href="#(n\d+)"', page)
    assert sorted(set(links)) == ["n1", "n2"] and len(links) == 4
    assert all(f'id="{n}"' in page for n in set(links))
    assert all(f'id="r{n[1:]}"' in page for n in set(links))  # each note's "↩" has a target


def test_the_summary_ends_each_sentence_and_counts_in_words() -> None:
    from briefgen.summary import write_summary

    brief = Brief(
        deal_id="d",
        account="Pinecrest Dental",
        summary="",
        goals=[Goal(text="all 14 clinics off paper intake forms", evidence=[])],
        risks=[Risk(description="Sam leaves in December", severity=Severity.high, evidence=[])],
        handoff_risk=HandoffRisk(level=Severity.medium, recommendation="-"),
        engine="extractive",
    )
    text = write_summary(brief)
    assert (
        "Main goal: all 14 clinics off paper intake forms. 1 risk (1 high), 0 commitments to honour." in text
    )

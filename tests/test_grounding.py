"""Citation verification: exact, normalised, fuzzy, re-attributed, dropped."""

from __future__ import annotations

from briefgen.grounding import FUZZY_THRESHOLD, Verifier, is_verbatim, verify_brief
from briefgen.schema import Brief, Evidence, Goal, HandoffFactor, HandoffRisk, Risk, Severity

SOURCES = {
    "s1": "Robert wants it under 20 minutes by March 31, 2027.\nTom is “worried” about   SSO — and Okta.",
    "s2": "The discount is contingent on signature by November 10.",
}


def test_exact_and_normalised_matches_return_source_text() -> None:
    v = Verifier(SOURCES)
    assert v.locate_in("s1", "Robert wants it under 20 minutes") == "Robert wants it under 20 minutes"
    # case, curly quotes, dashes and whitespace are normalised; the source's own text comes back
    found = v.locate_in("s1", 'tom is "worried" about SSO - and okta.')
    assert found == "Tom is “worried” about   SSO — and Okta."


def test_fuzzy_match_above_threshold_snaps_to_source() -> None:
    v = Verifier(SOURCES)
    found = v.locate_in("s1", "Robert wants it under 20 minutes by March 31 2027")  # comma dropped
    assert found is not None and found in SOURCES["s1"]
    assert v.locate_in("s1", "Robert wants it under 90 hours by May 1, 2030") is None
    assert FUZZY_THRESHOLD >= 0.85


def test_too_short_quotes_do_not_verify() -> None:
    assert Verifier(SOURCES).locate_in("s1", "Tom") is None


def _brief(*items: Goal, risks: list[Risk] | None = None) -> Brief:
    return Brief(
        deal_id="d",
        summary="",
        goals=list(items),
        risks=risks or [],
        engine="test",
        handoff_risk=HandoffRisk(
            level=Severity.low,
            recommendation="",
            factors=[
                HandoffFactor(
                    factor="x", detail="y", evidence=[Evidence(source_id="s2", quote="invented words here")]
                )
            ],
        ),
    )


def test_verify_brief_reattributes_drops_and_counts() -> None:
    good = Goal(text="a", evidence=[Evidence(source_id="s1", quote="robert wants it under 20 minutes")])
    wrong_source = Goal(
        text="b", evidence=[Evidence(source_id="s1", quote="contingent on signature by November 10")]
    )
    invented = Goal(text="c", evidence=[Evidence(source_id="s1", quote="The customer will double revenue")])
    unknown_source = Goal(text="d", evidence=[Evidence(source_id="zzz", quote="Tom is worried about SSO")])
    brief = _brief(good, wrong_source, invented, unknown_source)
    report = verify_brief(brief, SOURCES)
    assert [g.text for g in brief.goals] == ["a", "b", "d"]
    assert brief.goals[0].evidence[0].quote == "Robert wants it under 20 minutes"
    assert brief.goals[1].evidence[0].source_id == "s2"
    assert brief.goals[2].evidence[0].source_id == "s1"
    assert brief.handoff_risk.factors == []
    assert report.dropped_unverified == 2  # the invented goal and the invented factor
    assert report.reattributed == 2
    ok, total = is_verbatim(brief, SOURCES)
    assert ok == total == 3

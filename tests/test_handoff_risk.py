"""Handoff risk from what the deal says, on text written for these tests."""

from __future__ import annotations

from briefgen.handoff_risk import assess
from briefgen.schema import Brief, Evidence, HandoffRisk, Role, Severity, Side, Stakeholder
from briefgen.sentences import Sentence


def _sentences(*texts: str) -> list[Sentence]:
    return [Sentence("n1", t, "note", "2027-01-05", None, "", i) for i, t in enumerate(texts)]


def _brief(*people: tuple[str, Role]) -> Brief:
    ev = [Evidence(source_id="n1", quote="quoted")]
    return Brief(
        deal_id="d",
        summary="",
        stakeholders=[Stakeholder(name=n, role=r, side=Side.customer, evidence=ev) for n, r in people],
        handoff_risk=HandoffRisk(level=Severity.low, recommendation=""),
        engine="test",
    )


def test_many_people_named_are_not_an_enterprise() -> None:
    """A small firm whose owner, bookkeeper, lead tech and office manager all joined the calls."""
    brief = _brief(
        ("Ruth Adeyemi", Role.economic_buyer),
        ("Gil Moreno", Role.end_user),
        ("Sara Lind", Role.champion),
        ("Omar Haddad", Role.technical_lead),
    )
    risk = assess(brief, _sentences("Four of us will use it.", "Ruth Adeyemi signs, Sara sets it up."))
    assert "enterprise_layers" not in {f.factor for f in risk.factors}
    assert risk.level is Severity.low


def test_an_organisation_of_thousands_across_sites_is_layered() -> None:
    risk = assess(_brief(), _sentences("They have 2,400 employees across 14 sites.", "Sara sets it up."))
    assert {f.factor for f in risk.factors} == {"enterprise_layers"}
    assert risk.level is Severity.medium


def test_a_contract_term_is_not_a_long_implementation() -> None:
    term = _sentences("36 months at EUR 18,000 a year, implementation fee of EUR 4,000 waived.")
    assert assess(_brief(), term).factors == []
    project = _sentences("The implementation runs over four months, site by site.")
    assert {f.factor for f in assess(_brief(), project).factors} == {"long_implementation"}


def test_a_small_firm_counted_in_people_or_sites_is_not_layered() -> None:
    """A practice of 180 people, 140 seats and two offices is run by people who know its users;
    one of 650 or with five plants has levels between them."""
    for small in ("Around 180 staff in the practice.", "Quote is for 140 seats.", "We run 2 offices."):
        assert assess(_brief(), _sentences(small)).factors == [], small
    for large in ("Roughly 650 employees on three shifts.", "They run 5 plants in two countries."):
        assert {f.factor for f in assess(_brief(), _sentences(large)).factors} == {"enterprise_layers"}, large


def _people(*people: tuple[str, Side]) -> Brief:
    brief = _brief()
    ev = [Evidence(source_id="n1", quote="quoted")]
    brief.stakeholders = [Stakeholder(name=n, role=Role.other, side=side, evidence=ev) for n, side in people]
    return brief


def test_our_own_handover_is_not_the_sponsor_handing_down() -> None:
    """The account executive passing the deal to our onboarding lead is our handover; the
    customer's director passing the project to her ops lead is theirs; a question is neither."""
    brief = _people(
        ("Tomas Berg", Side.vendor),
        ("Ines Carvalho", Side.vendor),
        ("Grace Okafor", Side.customer),
        ("Pablo Reyes", Side.customer),
    )
    ours = _sentences("Tomas hands over to Ines, who runs onboarding day to day from Monday.")
    assert assess(brief, ours).factors == []
    asked = _sentences("Who will be the day-to-day contact on your side?")
    assert assess(brief, asked).factors == []
    theirs = _sentences("Grace hands day-to-day ownership to Pablo once we sign.")
    assert {f.factor for f in assess(brief, theirs).factors} == {"sponsor_hand_down"}


def test_a_plan_tier_or_a_leave_is_not_the_customer_s_size_or_project() -> None:
    """ "Enterprise" naming our plan or their software says nothing of their organisation, and six
    months of parental leave is how long a person is away, not how long the project runs."""
    for text in (
        "SSO is normally an Enterprise-tier feature; we include it.",
        "IT registers a new enterprise app in the tenant before the pilot.",
        "Heads up for the project: I'm off on parental leave from April, for about 6 months.",
    ):
        factors = {f.factor for f in assess(_brief(), _sentences(text)).factors}
        assert factors <= {"contact_leaving"}, text
    big = _sentences("They are a large enterprise, with a board and regional directors.")
    assert {f.factor for f in assess(_brief(), big).factors} == {"enterprise_layers"}

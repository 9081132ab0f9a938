"""Handoff risk by rules: will the customer's sponsor hand the project down, is the
implementation long, are there many levels between buyer and user, is a key contact leaving?
Any of these calls for durable custody; a self-serve, owner-operated customer does not."""

from __future__ import annotations

import re

from . import cues
from .schema import Brief, Evidence, HandoffFactor, HandoffRisk, Role, Severity, Side
from .sentences import Sentence

_FACTORS = {
    "sponsor_hand_down": "The executive sponsor hands day-to-day ownership to someone else.",
    "long_implementation": "The implementation takes longer than a few days.",
    "enterprise_layers": "An enterprise with several levels between the buyer and the users.",
    "contact_leaving": "A key customer contact is leaving or changing role.",
}


def _first(
    sentences: list[Sentence], pattern: re.Pattern[str], skip_negated: bool = False
) -> Sentence | None:
    for s in sentences:
        if pattern.search(s.text):
            if skip_negated and cues.NEGATION.search(s.text) and cues.SELF_SERVE.search(s.text):
                continue
            return s
    return None


_CONTRACT_TERM = re.compile(r"^(\d+)\s*months?$", re.I)


def _long_implementation(text: str) -> bool:
    """Says the project takes a while. Twelve months or more is the contract's term ("36 months,
    $12k implementation fee"), not how long the implementation runs."""
    for m in cues.LONG_IMPLEMENTATION.finditer(text):
        term = _CONTRACT_TERM.match(m.group(0))
        if term is None or int(term.group(1)) < 12:
            return True
    return False


# The usual line between a small business and a larger one is 500 people (the US Small Business
# Administration's size standard); below it a buyer commonly knows the people who will use the
# product. One site or two is one organisation run as one, whatever its head-count.
LAYERED_HEADCOUNT = 500
LAYERED_SITES = 3
_HEADCOUNT = re.compile(r"(employees|staff|people|users|seats)$", re.I)


def _layered(text: str) -> bool:
    """Says the customer is an organisation with several levels between buyer and users."""
    for m in cues.ENTERPRISE.finditer(text):
        number = re.match(r"[\d,]+", m.group(0))
        if number is None:
            return True
        n = int(number.group(0).replace(",", ""))
        if n >= (LAYERED_HEADCOUNT if _HEADCOUNT.search(m.group(0)) else LAYERED_SITES):
            return True
    return False


def _among_ourselves(text: str, brief: Brief) -> bool:
    """Names only people of our own side: the account executive handing the deal to the CSM is
    our handover, not the customer's sponsor handing theirs down."""
    named = [
        p
        for p in brief.stakeholders
        if re.search(rf"\b{re.escape(p.name.split()[0])}\b", text) or p.name in text
    ]
    return bool(named) and all(p.side is Side.vendor for p in named)


def assess(brief: Brief, sentences: list[Sentence]) -> HandoffRisk:
    factors: list[HandoffFactor] = []

    def add(key: str, s: Sentence | None, detail: str | None = None) -> None:
        if s is None:
            return
        factors.append(
            HandoffFactor(
                factor=key,
                detail=detail or _FACTORS[key],
                evidence=[Evidence(source_id=s.source_id, quote=s.text)],
            )
        )

    customers = [p for p in brief.stakeholders if p.side is Side.customer]
    sponsors = [p for p in customers if p.role in (Role.executive_sponsor, Role.economic_buyer)]
    owners = [p for p in customers if p.role is Role.project_owner]
    hand_down = next(
        (
            s
            for s in sentences
            if cues.HAND_DOWN.search(s.text)
            and not cues.CHAMPION_LEAVING.search(s.text)
            and not s.text.rstrip().endswith("?")
            and not _among_ourselves(s.text, brief)
        ),
        None,
    )
    if hand_down is not None:
        detail = _FACTORS["sponsor_hand_down"]
        if sponsors and owners:
            detail = (
                f"{sponsors[0].name} ({sponsors[0].title or 'sponsor'}) hands day-to-day "
                f"ownership to {owners[0].name} ({owners[0].title or 'project owner'})."
            )
        add("sponsor_hand_down", hand_down, detail)
    long_impl = next(
        (
            s
            for s in sentences
            if _long_implementation(s.text)
            and cues.IMPLEMENTATION_CONTEXT.search(s.text)
            # "on parental leave for about six months": how long a person is away
            and not cues.CHAMPION_LEAVING.search(s.text)
            and not cues.SELF_SERVE.search(s.text)
        ),
        None,
    )
    add("long_implementation", long_impl)
    # Said of the organisation, not counted from the brief: how many of the customer's people a
    # deal names says how thoroughly it was sold, not how many levels sit between buyer and user.
    add("enterprise_layers", next((s for s in sentences if _layered(s.text)), None))
    add("contact_leaving", _first(sentences, cues.CHAMPION_LEAVING))

    self_serve = _first(sentences, cues.SELF_SERVE)
    # A departing key contact is enough on its own to call for durable custody.
    score = len(factors) + sum(1 for f in factors if f.factor == "contact_leaving")
    if self_serve is not None and score <= 1:
        score = 0
    level = Severity.high if score >= 2 else Severity.medium if score == 1 else Severity.low
    return HandoffRisk(level=level, factors=factors, recommendation=_recommend(level, brief))


def _recommend(level: Severity, brief: Brief) -> str:
    sponsor = next(
        (
            p.name
            for p in brief.stakeholders
            if p.side is Side.customer and p.role in (Role.executive_sponsor, Role.economic_buyer)
        ),
        "the executive sponsor",
    )
    owner = brief.deal.get("owner") or "the account executive"
    if isinstance(owner, str) and "<" in owner:
        owner = owner.split("<")[0].strip()
    if level is Severity.high:
        return (
            "Durable custody: the CSM joins before close and runs the kickoff with the account "
            f"executive; set a monthly oversight cadence with {sponsor} through go-live and the "
            f"first business review; {owner} stays involved until the first milestone is met."
        )
    if level is Severity.medium:
        return (
            f"Guided handoff: a CSM-led kickoff with {owner} present, a named owner on the customer "
            f"side, and a check-in with {sponsor} 30 days after kickoff."
        )
    return (
        "Light-touch handoff: self-serve onboarding with a pooled CSM; check in after the first month of use."
    )

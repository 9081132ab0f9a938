"""What a language model is asked to fill in, and how its answer becomes a Brief.

The draft is flatter than the Brief (one `quote` and `source_id` per item, short enums, bounded
lists) because small models follow a flat schema far more reliably. Lists carry `maxItems`
so that schema-constrained generation cannot run away.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .schema import (
    Brief,
    Commitment,
    Evidence,
    Goal,
    HandoffFactor,
    HandoffRisk,
    Milestone,
    Risk,
    RiskCategory,
    Role,
    Sentiment,
    Severity,
    Side,
    Stakeholder,
    SuccessCriterion,
    TextItem,
)

MAX_ITEMS = 6
Short = Annotated[str, Field(max_length=400)]


class _Cited(BaseModel):
    model_config = ConfigDict(extra="ignore")
    quote: Short = Field(description="Exact words copied from the source")
    source_id: str = Field(description="id of the <source> the quote comes from")


class DraftText(_Cited):
    text: Short


class DraftStakeholder(_Cited):
    name: str
    title: str | None = None
    organization: str | None = None
    side: Literal["customer", "vendor"] = "customer"
    role: Literal[
        "economic_buyer",
        "executive_sponsor",
        "champion",
        "project_owner",
        "technical_lead",
        "end_user",
        "blocker",
        "billing",
        "other",
    ] = "other"
    sentiment: Literal["positive", "neutral", "negative", "unknown"] = "unknown"
    motivation: str | None = None


class DraftCriterion(_Cited):
    metric: str
    baseline: str | None = None
    target: str | None = None
    due: str | None = None
    stated_by_customer: bool = True


class DraftRisk(_Cited):
    description: Short
    category: Literal["technical", "organisational", "commercial", "security", "other"] = "other"
    severity: Literal["low", "medium", "high"] = "medium"
    mitigation: str | None = None


class DraftCommitment(_Cited):
    text: Short
    due: str | None = None


class DraftMilestone(_Cited):
    text: Short
    date: str | None = None


class DraftFactor(_Cited):
    factor: Literal["sponsor_hand_down", "long_implementation", "enterprise_layers", "contact_leaving"]
    detail: Short


class DraftHandoff(BaseModel):
    model_config = ConfigDict(extra="ignore")
    level: Literal["low", "medium", "high"] = "low"
    factors: list[DraftFactor] = Field(default_factory=list, max_length=4)


def _bounded(kind: Any) -> Any:
    return Field(default_factory=list, max_length=MAX_ITEMS, json_schema_extra={"maxItems": MAX_ITEMS})


class Draft(BaseModel):
    model_config = ConfigDict(extra="ignore")
    summary: Short = ""
    goals: list[DraftText] = _bounded(DraftText)
    stakeholders: list[DraftStakeholder] = _bounded(DraftStakeholder)
    success_criteria: list[DraftCriterion] = _bounded(DraftCriterion)
    risks: list[DraftRisk] = _bounded(DraftRisk)
    commitments: list[DraftCommitment] = _bounded(DraftCommitment)
    timeline: list[DraftMilestone] = _bounded(DraftMilestone)
    open_questions: list[DraftText] = _bounded(DraftText)
    next_steps: list[DraftText] = _bounded(DraftText)
    handoff_risk: DraftHandoff = Field(default_factory=DraftHandoff)


def draft_schema(max_items: int = MAX_ITEMS, max_chars: int = 400) -> dict[str, Any]:
    """The JSON schema models answer in. Smaller bounds keep a small local model's answer short
    enough to finish: it writes ~10 tokens a second on two cores."""

    def bound(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: bound(v) for k, v in node.items()}
            if "maxItems" in out and out.get("type") == "array":
                out["maxItems"] = min(int(out["maxItems"]), max_items)
            if "maxLength" in out:
                out["maxLength"] = min(int(out["maxLength"]), max_chars)
            return out
        if isinstance(node, list):
            return [bound(v) for v in node]
        return node

    return dict(bound(Draft.model_json_schema()))


def _ev(item: _Cited) -> list[Evidence]:
    return [Evidence(source_id=item.source_id.strip(), quote=item.quote)] if item.quote.strip() else []


def to_brief(draft: Draft, deal_id: str, account: str | None, engine: str) -> Brief:
    """Evidence is taken as given here; grounding verifies it afterwards."""
    return Brief(
        deal_id=deal_id,
        account=account,
        summary=draft.summary,
        goals=[Goal(text=g.text, evidence=_ev(g)) for g in draft.goals],
        stakeholders=[
            Stakeholder(
                name=s.name,
                title=s.title,
                organization=s.organization,
                side=Side(s.side),
                role=Role(s.role),
                sentiment=Sentiment(s.sentiment),
                motivations=[s.motivation] if s.motivation else [],
                evidence=_ev(s),
            )
            for s in draft.stakeholders
        ],
        success_criteria=[
            SuccessCriterion(
                metric=c.metric,
                baseline=c.baseline,
                target=c.target,
                due=c.due,
                stated_by_customer=c.stated_by_customer,
                evidence=_ev(c),
            )
            for c in draft.success_criteria
        ],
        risks=[
            Risk(
                description=r.description,
                category=RiskCategory(r.category),
                severity=Severity(r.severity),
                mitigation=r.mitigation,
                evidence=_ev(r),
            )
            for r in draft.risks
        ],
        commitments=[Commitment(text=c.text, due=c.due, evidence=_ev(c)) for c in draft.commitments],
        timeline=[Milestone(text=m.text, date=m.date, evidence=_ev(m)) for m in draft.timeline],
        open_questions=[TextItem(text=q.text, evidence=_ev(q)) for q in draft.open_questions],
        next_steps=[TextItem(text=q.text, evidence=_ev(q)) for q in draft.next_steps],
        handoff_risk=HandoffRisk(
            level=Severity(draft.handoff_risk.level),
            factors=[
                HandoffFactor(factor=f.factor, detail=f.detail, evidence=_ev(f))
                for f in draft.handoff_risk.factors
            ],
            recommendation="",
        ),
        engine=engine,
    )

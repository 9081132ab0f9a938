"""What a language model is asked to fill in, and how its answer becomes findings.

The model reads the deal's sentences numbered (`[S12] …`) and cites them by number; it never
copies quotes, which costs output tokens and invites misquotes. The draft is flatter than the
Brief (short enums, bounded lists) because small models follow a flat schema far more reliably.
Lists carry `maxItems` so that schema-constrained generation cannot run away.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .findings import SECTIONS, Finding, Findings
from .reading import Reading, parse_sid
from .schema import Severity

MAX_ITEMS = 6
Short = Annotated[str, Field(max_length=400)]

MAX_IDS = 3


class _Cited(BaseModel):
    model_config = ConfigDict(extra="ignore")
    # maxItems bounds what the model writes; a longer list is cut, not refused.
    # The schema a model answers in requires one to three (`draft_schema`); an answer without
    # them still parses, and the item is dropped for want of evidence.
    ids: list[str] = Field(
        default_factory=list,
        json_schema_extra={"maxItems": MAX_IDS, "minItems": 1},
        description="numbers of the sentences it rests on, e.g. S12",
    )


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
    return answer_schema(Draft, max_items, max_chars)


def answer_schema(model: type[BaseModel], max_items: int, max_chars: int) -> dict[str, Any]:
    """`model`'s JSON schema with every list cut to `max_items`, every string to `max_chars`,
    and each cited item's `ids` last and required."""

    def bound(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: bound(v) for k, v in node.items()}
            if "maxItems" in out and out.get("type") == "array":
                out["maxItems"] = min(int(out["maxItems"]), max_items)
            if "maxLength" in out:
                out["maxLength"] = min(int(out["maxLength"]), max_chars)
            props = out.get("properties")
            if isinstance(props, dict) and "ids" in props:
                # A model writes fields in schema order: the item's words first, then what
                # they rest on, reads as a person would write it.
                out["properties"] = {k: v for k, v in props.items() if k != "ids"} | {"ids": props["ids"]}
                out["required"] = [*out.get("required", []), "ids"]
            return out
        if isinstance(node, list):
            return [bound(v) for v in node]
        return node

    return dict(bound(model.model_json_schema()))


# The field a section's own words are in, where it is not `text`.
_TEXT_FIELD = {"risks": "description", "success_criteria": "metric", "stakeholders": "name"}


def _finding(section: str, item: _Cited, unparsed: list[int]) -> Finding:
    ids = []
    for raw in item.ids[:MAX_IDS]:
        order = parse_sid(raw)
        if order is None:
            unparsed[0] += 1
        else:
            ids.append(order)
    fields = item.model_dump(exclude={"ids"})
    text_field = _TEXT_FIELD.get(section, "text")
    text = fields.get(text_field) if section != "stakeholders" else None
    if section == "stakeholders":
        motivation = fields.pop("motivation", None)
        fields["motivations"] = [motivation] if motivation else []
    elif section != "success_criteria":
        fields.pop(text_field, None)
    return Finding(section, tuple(dict.fromkeys(ids)), text=text or None, fields=fields)


def to_findings(draft: Draft, reading: Reading, engine: str) -> Findings:
    """Sentence numbers are taken as given here; `assemble` drops the ones the deal lacks."""
    unparsed = [0]
    items = [_finding(section, item, unparsed) for section in SECTIONS for item in getattr(draft, section)]
    for factor in draft.handoff_risk.factors:
        f = _finding("handoff_risk", factor, unparsed)
        items.append(f)
    return Findings(
        engine=engine,
        items=items,
        handoff_level=Severity(draft.handoff_risk.level),
        unknown_ids=unparsed[0],
    )

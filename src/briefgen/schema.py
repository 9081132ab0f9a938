"""The Brief and its parts: the contract every interface (CLI, API, web form, evals) shares.

JSON output is `Brief.model_dump_json()`. Every item of every list carries
`evidence`: quotes that are verbatim text of the cited source.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum, StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"


class Side(StrEnum):
    customer = "customer"
    vendor = "vendor"
    unknown = "unknown"


class Role(StrEnum):
    economic_buyer = "economic_buyer"
    executive_sponsor = "executive_sponsor"
    champion = "champion"
    project_owner = "project_owner"
    technical_lead = "technical_lead"
    end_user = "end_user"
    blocker = "blocker"
    billing = "billing"
    other = "other"


class Sentiment(StrEnum):
    positive = "positive"
    neutral = "neutral"
    negative = "negative"
    unknown = "unknown"


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class Unknown(StrEnum):
    """A handoff risk that cannot be judged: a deal with no sources is `unknown`, not low.
    Kept apart from Severity so that a risk's severity never takes this value."""

    unknown = "unknown"


class RiskCategory(StrEnum):
    technical = "technical"
    organisational = "organisational"
    commercial = "commercial"
    security = "security"
    other = "other"


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source_id: str
    quote: str


class Item(BaseModel):
    """Common base: every brief item is backed by evidence."""

    model_config = ConfigDict(extra="forbid")
    evidence: list[Evidence] = Field(default_factory=list)

    def texts(self, quotes: bool = True) -> list[str]:
        """Every piece of text the item shows: its string fields, lists of strings, quotes."""
        out: list[str] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            # Labels (enums, `kind`) and addresses are not prose the item shows.
            if name in ("kind", "email") or isinstance(value, Enum):
                continue
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                out += value
        if quotes:
            out += [e.quote for e in self.evidence]
        return out

    def tidy_text(self) -> None:
        """Collapse the line breaks a wrapped source leaves in an item's own text; its quotes
        keep them, being the source's words."""
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name != "email" and isinstance(value, str) and not isinstance(value, Enum):
                setattr(self, name, " ".join(value.split()))
            elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                setattr(self, name, [" ".join(v.split()) for v in value])


class Goal(Item):
    text: str


class Stakeholder(Item):
    name: str
    title: str | None = None
    organization: str | None = None
    email: str | None = None
    side: Side = Side.unknown
    role: Role = Role.other
    sentiment: Sentiment = Sentiment.unknown
    motivations: list[str] = Field(default_factory=list)


class SuccessCriterion(Item):
    metric: str
    baseline: str | None = None
    target: str | None = None
    due: str | None = None
    stated_by_customer: bool = False


class Risk(Item):
    description: str
    category: RiskCategory = RiskCategory.other
    severity: Severity = Severity.medium
    mitigation: str | None = None


class Commitment(Item):
    text: str
    kind: str = "other"
    due: str | None = None


class Milestone(Item):
    text: str
    date: str | None = None
    kind: str = "other"


class TextItem(Item):
    text: str


class Change(Item):
    """A fact that a later source revised; the later value is the one the brief uses."""

    field: str
    previous: str
    current: str


class HandoffFactor(Item):
    factor: str
    detail: str


class HandoffRisk(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: Severity | Unknown
    factors: list[HandoffFactor] = Field(default_factory=list)
    recommendation: str


class SourceRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    kind: str
    title: str
    date: str | None = None
    path: str | None = None
    author: str | None = None


class Provenance(BaseModel):
    """How the brief was made: enough to reproduce it and to judge it."""

    model_config = ConfigDict(extra="allow")
    schema_version: str = SCHEMA_VERSION
    evidence_mode: str = "full"
    passages: int = 0
    dropped_unverified: int = 0
    reattributed: int = 0
    fallback_reason: str | None = None
    latency_ms: float | None = None
    prompt_version: str | None = None
    usage: dict[str, int] = Field(default_factory=dict)
    # Items left out: citing a sentence number the deal does not have, a quote not found in its
    # source, repeating an instruction found in a source, carrying a secret.
    dropped_unknown_id: int = 0
    dropped_injection: int = 0
    dropped_secret: int = 0
    # A model's answer: how long it took, how its shape was enforced, whether it was repaired.
    model_ms: float | None = None
    structured_output: str | None = None
    repaired: bool = False
    retries: int = 0
    llm_mode: str | None = None  # "assist" (reviewed the offline findings) or "one-pass"


class Review(BaseModel):
    """Where a stored version stands: who wrote it, who reviewed it, when and why. Filled from
    the record when a stored version is shown or exported; a freshly written brief has none."""

    model_config = ConfigDict(extra="forbid")
    version: int
    status: str = "draft"  # draft | accepted | returned
    created_by: str | None = None
    created_at: str | None = None
    reviewed_by: str | None = None
    reviewed_at: str | None = None
    reason: str | None = None


class Brief(BaseModel):
    model_config = ConfigDict(extra="forbid")
    deal_id: str
    account: str | None = None
    summary: str
    goals: list[Goal] = Field(default_factory=list)
    stakeholders: list[Stakeholder] = Field(default_factory=list)
    success_criteria: list[SuccessCriterion] = Field(default_factory=list)
    risks: list[Risk] = Field(default_factory=list)
    commitments: list[Commitment] = Field(default_factory=list)
    timeline: list[Milestone] = Field(default_factory=list)
    open_questions: list[TextItem] = Field(default_factory=list)
    next_steps: list[TextItem] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)
    unknowns: list[str] = Field(default_factory=list)
    handoff_risk: HandoffRisk
    sources: list[SourceRef] = Field(default_factory=list)
    deal: dict[str, Any] = Field(default_factory=dict)
    engine: str
    generated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    provenance: Provenance = Field(default_factory=Provenance)
    review: Review | None = None

    def items(self) -> list[tuple[str, Item]]:
        """Every evidence-bearing item with the name of its section."""
        out: list[tuple[str, Item]] = []
        for section in ITEM_SECTIONS:
            for item in getattr(self, section):
                out.append((section, item))
        for factor in self.handoff_risk.factors:
            out.append(("handoff_risk", factor))
        return out


ITEM_SECTIONS: tuple[str, ...] = (
    "goals",
    "stakeholders",
    "success_criteria",
    "risks",
    "commitments",
    "timeline",
    "open_questions",
    "next_steps",
    "changes",
)


class Deal(BaseModel):
    """CRM fields of a deal, from `deal.json`, the API or the web form."""

    model_config = ConfigDict(extra="allow")
    deal_id: str
    account: str | None = None
    amount: float | None = None
    currency: str | None = None
    close_date: str | None = None
    owner: str | None = None
    stage: str | None = None

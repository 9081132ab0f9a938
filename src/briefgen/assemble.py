"""Findings to a Brief, once, for every engine: sentence numbers become verbatim quotes, fields
an engine left open are read from the cited sentences, the deal's revisions and the security
notes about its sources are added, and each section is capped and ordered."""

from __future__ import annotations

from typing import Any

from .cancellations import called_off, without_called_off
from .findings import Finding, Findings
from .grounding import quotable
from .item_fields import commitment_fields, criterion_fields, milestone_fields, risk_fields
from .reading import Reading
from .revisions import TERMS_CONFIDENCE, revisions
from .schema import (
    Brief,
    Commitment,
    Evidence,
    Goal,
    HandoffFactor,
    HandoffRisk,
    Item,
    Milestone,
    Provenance,
    Risk,
    RiskCategory,
    Severity,
    Stakeholder,
    SuccessCriterion,
    TextItem,
)
from .sentences import Sentence

# A guard against an engine that lists everything; the extractive engine's own caps, which
# grow with a deal's length, stay under it.
MAX_ITEMS = 28
_INSTRUCTION_LEAD = 2  # words of an injected instruction quoted: enough to find it, too few to repeat it
_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def _given(fields: dict[str, Any], derived: dict[str, Any]) -> dict[str, Any]:
    """The engine's fields where it gave them, the rules' reading of the sentence elsewhere."""
    return {k: fields[k] if fields.get(k) not in (None, "") else v for k, v in derived.items()}


class _Builder:
    def __init__(self, reading: Reading, findings: Findings) -> None:
        self.reading = reading
        self.citable = reading.citable
        self.unknown = findings.unknown_ids
        self.sort_keys: dict[int, str] = {}  # a milestone's date, or its source's, for ordering

    def cited(self, f: Finding) -> list[Sentence]:
        out = []
        for order in f.ids:
            s = self.reading.sentence(order)
            if s is None or order not in self.citable:
                self.unknown += 1
                continue
            out.append(s)
        return out

    def item(self, f: Finding) -> Item | None:
        sentences = self.cited(f)
        evidence = [Evidence(source_id=s.source_id, quote=s.text) for s in sentences] + list(f.quotes)
        fields = dict(f.fields)
        section = f.section
        if section == "stakeholders":
            return self.stakeholder(fields, evidence)
        if not evidence:
            return None  # nothing to show for it: an item without a source is not a finding
        first = sentences[0] if sentences else None
        text = f.text or (first.text if first else "")
        if not text:
            return None
        if section == "goals":
            return Goal(text=text, evidence=evidence)
        if section == "success_criteria":
            read = criterion_fields(first, self.reading.side_of) if first else {}
            merged = _given(fields, read) if read else fields
            merged.setdefault("metric", text)
            return SuccessCriterion(**merged, evidence=evidence)
        if section == "risks":
            return Risk(description=text, **_given(fields, risk_fields(text)), evidence=evidence)
        if section == "commitments":
            return Commitment(text=text, **_given(fields, commitment_fields(text)), evidence=evidence)
        if section == "timeline":
            dated = milestone_fields(first) if first else None
            if dated is None and not fields.get("date"):
                return None  # a milestone needs a date
            sort = fields.get("date") or (dated or {}).get("sort") or "9999"
            merged = _given(fields, {"date": None, "kind": "other", **(dated or {})})
            merged.pop("sort", None)
            milestone = Milestone(text=text, **merged, evidence=evidence)
            self.sort_keys[id(milestone)] = str(sort)
            return milestone
        if section in ("open_questions", "next_steps"):
            return TextItem(text=text, evidence=evidence)
        if section == "handoff_risk":
            return HandoffFactor(
                factor=str(fields.get("factor", "other")),
                detail=str(fields.get("detail") or text),
                evidence=evidence,
            )
        raise ValueError(f"unknown section '{section}'")

    def stakeholder(self, fields: dict[str, Any], evidence: list[Evidence]) -> Stakeholder | None:
        """A person an engine names gets what the reading knows of them: title, organisation,
        address, and the lines that name them when the engine cited none."""
        person = self.reading.people.find(str(fields.get("name") or ""))
        if person is not None:
            for key in ("title", "organization", "email"):
                if not fields.get(key) and getattr(person, key):
                    fields[key] = getattr(person, key)
            if not evidence:
                evidence = [Evidence(source_id=sid, quote=q) for sid, q in person.citable_quotes[:2]]
        if not evidence or not fields.get("name"):
            return None
        return Stakeholder(**fields, evidence=evidence)


def _lead(text: str) -> str:
    """The first words of an injected instruction: two, or as many more as the grounding check
    needs to find them ("Note to" alone is too short to verify, and the warning would be lost)."""
    words = text.split()
    n = _INSTRUCTION_LEAD
    while n < len(words) and not quotable(" ".join(words[:n])):
        n += 1
    return " ".join(words[:n])


def _security_notes(reading: Reading) -> list[Risk]:
    out: list[Risk] = []
    for s in reading.flagged:
        lead = _lead(s.text)
        out.insert(
            0,
            Risk(
                description="A source contains text addressed to an automated assistant "
                "(possible prompt injection); it was treated as data and ignored.",
                category=RiskCategory.security,
                severity=Severity.medium,
                mitigation="Review the source with the account team; do not act on it.",
                evidence=[Evidence(source_id=s.source_id, quote=lead)],
            ),
        )
    for s, (start, end) in reading.secret_hits:
        # Quote the words around the secret, never the secret itself.
        lead = s.text[:start].strip(" :=")
        if len(lead.split()) < 2:
            tail = s.text[end:].strip(" .,;:")
            lead = tail if len(tail.split()) >= 2 else ""
        out.insert(
            0,
            Risk(
                description="A source contains a credential or payment data; it was left out of this brief.",
                category=RiskCategory.security,
                severity=Severity.high,
                mitigation="Remove it from the CRM record and have the customer rotate it.",
                evidence=[Evidence(source_id=s.source_id, quote=lead)] if lead else [],
            ),
        )
    return out


def assemble(reading: Reading, findings: Findings) -> Brief:
    builder = _Builder(reading, findings)
    sections: dict[str, list[Any]] = {}
    factors: list[HandoffFactor] = []
    for f in findings.items:
        item = builder.item(f)
        if item is None:
            continue
        if isinstance(item, HandoffFactor):
            factors.append(item)
        else:
            sections.setdefault(f.section, []).append(item)
    risks: list[Risk] = _security_notes(reading) + sections.get("risks", [])
    risks.sort(key=lambda r: _SEVERITY_ORDER[r.severity.value])
    timeline: list[Milestone] = sections.get("timeline", [])
    timeline.sort(key=lambda m: builder.sort_keys.get(id(m), "9999"))
    timeline, cancelled = without_called_off(timeline, called_off(reading.usable))
    brief = Brief(
        deal_id=reading.deal.deal_id,
        account=reading.deal.account,
        summary="",
        goals=sections.get("goals", [])[:MAX_ITEMS],
        stakeholders=sections.get("stakeholders", []),
        success_criteria=sections.get("success_criteria", [])[:MAX_ITEMS],
        risks=risks[:MAX_ITEMS],
        commitments=sections.get("commitments", [])[:MAX_ITEMS],
        timeline=timeline[:MAX_ITEMS],
        open_questions=sections.get("open_questions", [])[:MAX_ITEMS],
        next_steps=sections.get("next_steps", [])[-MAX_ITEMS:],
        changes=revisions(reading.usable, reading.likely("terms", TERMS_CONFIDENCE)) + cancelled,
        handoff_risk=HandoffRisk(
            level=findings.handoff_level or Severity.low, factors=factors, recommendation=""
        ),
        engine=findings.engine,
    )
    brief.provenance = Provenance(**findings.provenance, dropped_unknown_id=builder.unknown)
    return brief

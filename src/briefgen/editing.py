"""Editing a brief item by item: change, remove or add an item of a section, with evidence
picked from the deal's own sentences. A saved edit is a new version, grounded and summarised
by the same code as a written brief (`generate.assemble`), so it can reword and drop but never
cite what the sources do not say."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

from .errors import ConfigError
from .evidence import passage_of
from .generate import finish, load_deal
from .grounding import Verifier
from .records import BriefRecord
from .schema import (
    Brief,
    Change,
    Commitment,
    Evidence,
    Goal,
    Item,
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
from .sentences import split_passage
from .store import Store

# Section -> (title, item model, {form field: model field}). The form has one set of fields;
# each section uses the ones it has, the first one being the item's main text.
EDITABLE: dict[str, tuple[str, type[Item], dict[str, str]]] = {
    "goals": ("Goals", Goal, {"text": "text"}),
    "success_criteria": (
        "Success criteria",
        SuccessCriterion,
        {
            "text": "metric",
            "baseline": "baseline",
            "target": "target",
            "due": "due",
            "stated": "stated_by_customer",
        },
    ),
    "risks": (
        "Risks",
        Risk,
        {"text": "description", "severity": "severity", "category": "category", "mitigation": "mitigation"},
    ),
    "commitments": ("Commitments", Commitment, {"text": "text", "kind": "kind", "due": "due"}),
    "timeline": ("Timeline", Milestone, {"text": "text", "due": "date", "kind": "kind"}),
    "stakeholders": (
        "Stakeholders",
        Stakeholder,
        {
            "text": "name",
            "title": "title",
            "organization": "organization",
            "side": "side",
            "role": "role",
            "sentiment": "sentiment",
        },
    ),
    "open_questions": ("Open questions", TextItem, {"text": "text"}),
    "next_steps": ("Next steps", TextItem, {"text": "text"}),
    "changes": ("What changed", Change, {"text": "field", "previous": "previous", "current": "current"}),
}
MAIN_LABEL = {
    "success_criteria": "Metric",
    "risks": "Description",
    "stakeholders": "Name",
    "changes": "What changed (field)",
}
DATE_FIELDS = {"due"}
CHOICES: dict[str, list[str]] = {
    "severity": [s.value for s in Severity],
    "category": [c.value for c in RiskCategory],
    "side": [s.value for s in Side],
    "role": [r.value for r in Role],
    "sentiment": [s.value for s in Sentiment],
}
_SEP = "|"


def _section(section: str) -> tuple[str, type[Item], dict[str, str]]:
    if section not in EDITABLE:
        raise ConfigError(f"section '{section}' cannot be edited (one of: {', '.join(EDITABLE)})")
    return EDITABLE[section]


def item_line(section: str, item: Item) -> str:
    _, _, fields = _section(section)
    main = str(getattr(item, fields["text"]) or "")
    extra = [
        f"{form}: {getattr(item, model).value if hasattr(getattr(item, model), 'value') else getattr(item, model)}"
        for form, model in fields.items()
        if form in ("severity", "due") and getattr(item, model)
    ]
    return main + (f" ({', '.join(extra)})" if extra else "")


def item_choices(brief: Brief, section: str) -> list[tuple[str, int]]:
    return [(f"{n + 1}. {item_line(section, it)[:140]}", n) for n, it in enumerate(getattr(brief, section))]


def evidence_value(ev: Evidence) -> str:
    return f"{ev.source_id}{_SEP}{ev.quote}"


def item_values(brief: Brief, section: str, index: int) -> tuple[dict[str, Any], list[str]]:
    """The form's field values and picked evidence for one item."""
    _, _, fields = _section(section)
    item = _item(brief, section, index)
    values: dict[str, Any] = {}
    for form, model in fields.items():
        v = getattr(item, model)
        values[form] = v.value if hasattr(v, "value") else v
    return values, [evidence_value(e) for e in item.evidence]


def deal_sentences(store: Store, deal_id: str) -> list[tuple[str, str]]:
    """Every sentence of the deal's sources, as (label, value) choices for the evidence picker:
    the one place evidence comes from."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for rec in store.records.sources(deal_id):
        for s in split_passage(passage_of(rec)):
            value = f"{rec.source_id}{_SEP}{s.text}"
            if value in seen:
                continue
            seen.add(value)
            label = " ".join(s.text.split())
            out.append((f"{rec.title}: {label[:200]}", value))
    return out


def parse_evidence(values: list[str] | None) -> list[Evidence]:
    out = []
    for v in values or []:
        source_id, sep, quote = str(v).partition(_SEP)
        if not sep or not source_id or not quote.strip():
            raise ConfigError(f"evidence {str(v)[:60]!r} is not a sentence picked from the deal's sources")
        out.append(Evidence(source_id=source_id, quote=quote))
    return out


def _item(brief: Brief, section: str, index: int) -> Item:
    items = getattr(brief, section)
    if not isinstance(index, int) or not 0 <= index < len(items):
        raise ConfigError(
            f"{EDITABLE[section][0]} has no item {index + 1 if isinstance(index, int) else index}"
        )
    item: Item = items[index]
    return item


def _check_date(field: str, value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ConfigError(f"{field} '{value}' is not a date: write it as YYYY-MM-DD") from None


def _build(section: str, values: dict[str, Any], evidence: list[Evidence]) -> Item:
    title, model, fields = _section(section)
    data: dict[str, Any] = {}
    for form, field in fields.items():
        v = values.get(form)
        if isinstance(v, str):
            v = v.strip() or None
        if v is None:
            continue
        if form in DATE_FIELDS and isinstance(v, str):
            v = _check_date("due date" if field == "due" else field, v)
        data[field] = v
    if not data.get(fields["text"]):
        raise ConfigError(f"{MAIN_LABEL.get(section, 'text').lower()} of the item is empty")
    if not evidence:
        raise ConfigError("pick at least one sentence from the deal's sources as evidence")
    try:
        return model.model_validate({**data, "evidence": [e.model_dump() for e in evidence]})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise ConfigError(f"{title}: field '{where}': {first['msg']}") from None


def check_evidence(store: Store, deal_id: str, evidence: list[Evidence]) -> None:
    """Refuse at once a quote the deal's sources do not hold (saving checks again)."""
    verifier = Verifier({s.source_id: s.citable for s in store.records.sources(deal_id)})
    for ev in evidence:
        if verifier.locate(ev.source_id, ev.quote) is None:
            raise ConfigError(
                f"evidence '{ev.quote[:80]}' is not in the deal's sources: pick it from the deal's sentences"
            )


def put_item(
    store: Store,
    brief: Brief,
    section: str,
    index: int | None,
    values: dict[str, Any],
    evidence_values: list[str] | None,
) -> Brief:
    """A copy of `brief` with item `index` of `section` replaced (or a new item added when
    `index` is None)."""
    evidence = parse_evidence(evidence_values)
    item = _build(section, values, evidence)
    check_evidence(store, brief.deal_id, evidence)
    out = brief.model_copy(deep=True)
    items = list(getattr(out, section))
    if index is None:
        items.append(item)
    else:
        _item(out, section, index)
        items[index] = item
    setattr(out, section, items)
    return out


def remove_item(brief: Brief, section: str, index: int) -> Brief:
    _section(section)
    out = brief.model_copy(deep=True)
    _item(out, section, index)
    items = list(getattr(out, section))
    del items[index]
    setattr(out, section, items)
    return out


def save_version(
    store: Store, base: BriefRecord, draft: Brief, user: str | None
) -> tuple[Brief, BriefRecord]:
    """The edited brief as a new version: every quote verified against the deal's sources,
    injected text and secrets scrubbed, handoff risk, unknowns and summary written again.
    How it was made (provenance, sources, CRM fields) is not the editor's to change."""
    if draft.deal_id != base.deal_id:
        raise ConfigError(f"deal_id must stay '{base.deal_id}'")
    brief = draft.model_copy(deep=True)
    brief.review = None
    engine = base.brief.engine
    brief.engine = engine if engine.endswith("(edited)") else f"{engine} (edited)"
    brief.provenance = base.brief.provenance.model_copy(deep=True)
    brief.provenance.edited_from = base.version  # type: ignore[attr-defined]
    brief.generated_at = datetime.now(UTC)
    deal, evidence, reading = load_deal(store, brief.deal_id)
    verifier = Verifier({s.source_id: s.citable for s in evidence.sources})
    for section, item in brief.items():
        for ev in item.evidence:
            if verifier.locate(ev.source_id, ev.quote) is None:
                raise ConfigError(
                    f"{section}: evidence '{ev.quote[:80]}' is not in the deal's sources; evidence "
                    "must be picked from the deal's sentences, not typed"
                )
    # Warnings the pipeline wrote without a quote (text aimed at a model was removed) stay.
    notices = [r for r in brief.risks if not r.evidence]
    finish(brief, deal, evidence, reading.sentences)
    brief.risks = [n for n in notices if n not in brief.risks] + brief.risks
    record = store.records.add_brief(brief, store.records.sources_hash(brief.deal_id), user)
    return brief, record

"""Writing a brief for a deal: gather evidence -> read the deal -> engine findings -> assemble
-> verify citations -> assess handoff risk -> summary -> store a new version."""

from __future__ import annotations

import logging
import time

from .assemble import assemble
from .config import Settings
from .deadline import call_within
from .engines import get_engine
from .engines.base import Engine
from .engines.extractive import ExtractiveEngine
from .errors import BriefgenError
from .evidence import Gathered, gather
from .grounding import GroundingReport, verify_brief
from .handoff_risk import assess
from .reading import Reading, read_deal
from .records import BriefRecord
from .safety import mask_deal, mask_secrets, scrub_brief
from .schema import Brief, Deal, HandoffRisk, Risk, RiskCategory, Severity, SourceRef, Unknown
from .sections import warm
from .sentences import Sentence
from .store import Store
from .summary import unknowns, write_summary

log = logging.getLogger(__name__)


def _merge_handoff(engine_view: HandoffRisk, rules_view: HandoffRisk) -> HandoffRisk:
    rank = {Severity.low: 0, Severity.medium: 1, Severity.high: 2}
    factors = list(rules_view.factors)
    known = {f.factor for f in factors}
    factors += [f for f in engine_view.factors if f.factor not in known]
    level: Severity | Unknown = rules_view.level
    if engine_view.factors and isinstance(engine_view.level, Severity) and isinstance(level, Severity):
        level = max(engine_view.level, level, key=lambda s: rank[s])
    return HandoffRisk(level=level, factors=factors, recommendation=rules_view.recommendation)


def _injection_risk(count: int) -> Risk:
    return Risk(
        description=f"A source contains text addressed to an automated assistant; {count} item(s) that "
        "repeated it were removed from this brief.",
        category=RiskCategory.security,
        severity=Severity.medium,
        mitigation="Review the deal's emails with the account team; do not act on instructions found in them.",
    )


def load_deal(
    store: Store, deal_id: str, budget_chars: int | None = None, settings: Settings | None = None
) -> tuple[Deal, Gathered, Reading]:
    """The deal's CRM fields (secrets masked), its gathered passages and its reading: what an
    engine reads, and what a brief of the deal is checked against."""
    settings = settings or store.settings
    # CRM fields are text people type: a password pasted into a deal note is masked before
    # any engine, model or rendering sees it.
    deal = mask_deal(store.records.get_deal(deal_id))
    evidence = gather(store, deal_id, budget_chars)
    return deal, evidence, read_deal(deal, evidence.passages, settings.vendor_domains)


def finish(
    brief: Brief, deal: Deal, evidence: Gathered, sentences: list[Sentence]
) -> tuple[GroundingReport, int, int]:
    """Everything after the findings are assembled, for a written brief and an edited one
    alike: tidy text, verify every quote against its source, scrub injected text and secrets,
    assess handoff risk, list sources and unknowns, write the summary. Returns the grounding
    report and the counts of items dropped as injected text and as secrets."""
    for _, item in brief.items():
        item.tidy_text()
    brief.deal = deal.model_dump(exclude_none=True)
    brief.account = brief.account or deal.account
    texts = {s.source_id: s.citable for s in evidence.sources}
    report = verify_brief(brief, texts)
    injected, secrets = scrub_brief(brief, list(texts.values()))
    if injected:
        brief.risks.insert(0, _injection_risk(injected))
    brief.handoff_risk = _merge_handoff(brief.handoff_risk, assess(brief, sentences))
    if not evidence.sources:
        # Nothing to judge by: the risk is not known, which is not the same as low.
        brief.handoff_risk.level = Unknown.unknown
        brief.handoff_risk.recommendation = (
            "No documents yet: ask the account executive for call notes and emails before kickoff; "
            "the brief will be regenerated when they arrive."
        )
    brief.sources = [
        SourceRef(
            id=s.source_id,
            kind=s.kind,
            title=mask_secrets(s.title),
            date=s.date,
            path=mask_secrets(s.relpath),
            author=mask_secrets(s.author) if s.author else None,
        )
        for s in evidence.sources
    ]
    brief.unknowns = unknowns(brief)
    brief.summary = write_summary(brief)
    return report, injected, secrets


def write_brief(
    store: Store,
    deal_id: str,
    engine: Engine | str = "auto",
    settings: Settings | None = None,
    save: bool = True,
    created_by: str | None = None,
) -> tuple[Brief, BriefRecord | None]:
    settings = settings or store.settings
    if isinstance(engine, str):
        engine = get_engine(engine, settings)
    started = time.perf_counter()
    deal, evidence, reading = load_deal(
        store, deal_id, getattr(engine, "evidence_budget_chars", None), settings
    )
    # The section classifier reads sentence vectors; most were stored at ingest.
    warm([s.text for s in reading.sentences], store.records)
    fallback_reason = None
    try:
        if isinstance(engine, ExtractiveEngine):
            findings = engine.find(reading)
        else:
            chosen = engine
            findings = call_within(lambda: chosen.find(reading), settings.deadline, engine.name)
    except BriefgenError as exc:
        if isinstance(engine, ExtractiveEngine):
            raise
        # A brief is never lost because a model failed: the extractive engine writes it.
        log.warning("engine %s failed for %s: %s; falling back to extractive", engine.name, deal_id, exc)
        fallback_reason = f"{engine.name}: {exc}"
        findings = ExtractiveEngine(settings.vendor_domains).find(reading)
        findings.engine = f"extractive (fallback from {engine.name})"
    brief = assemble(reading, findings)
    report, injected, secrets = finish(brief, deal, evidence, reading.sentences)
    prov = brief.provenance
    prov.evidence_mode = evidence.mode
    prov.passages = len(evidence.passages)
    prov.dropped_unverified += report.dropped_unverified
    prov.dropped_injection = injected
    prov.dropped_secret = secrets
    prov.reattributed += report.reattributed
    prov.fallback_reason = prov.fallback_reason or fallback_reason
    prov.latency_ms = round((time.perf_counter() - started) * 1000, 1)
    record = store.records.add_brief(brief, store.records.sources_hash(deal_id), created_by) if save else None
    return brief, record

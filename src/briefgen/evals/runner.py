"""Running the suite: ingest every case's deal into one store (so that leakage between deals
is possible and measured), write a brief per case per engine, score, check thresholds."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from ..config import Settings
from ..embeddings import Embedder, default_embedder
from ..errors import BriefgenError, ConfigError
from ..generate import write_brief
from ..ingestion import ingest_paths
from ..schema import Side
from ..store import Store
from .dataset import EvalCase
from .metrics import CaseScore, Matcher, aggregate, score_case


@dataclass
class EngineRun:
    engine: str
    scores: list[CaseScore]
    summary: dict[str, Any]
    failures: list[str] = field(default_factory=list)
    split: str = "all"

    @property
    def label(self) -> str:
        return self.engine if self.split == "all" else f"{self.engine}/{self.split}"


@dataclass
class SuiteResult:
    split: str
    engines: list[EngineRun]
    seconds: float
    gated: bool = True

    @property
    def passed(self) -> bool:
        return not any(run.failures for run in self.engines)


Thresholds = dict[str, Any]
_KINDS = ("must_equal", "at_least", "at_most")


def _limits(data: dict[str, Any], where: str) -> dict[str, dict[str, float]]:
    unknown = set(data) - set(_KINDS)
    if unknown:
        raise ConfigError(f"{where}: unknown sections {sorted(unknown)}")
    return {k: {m: float(v) for m, v in (data.get(k) or {}).items()} for k in _KINDS}


def load_thresholds(path: Path) -> Thresholds:
    """Limits for every split, and under `splits:` limits for one split only."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read thresholds {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    splits = data.pop("splits", None) or {}
    out: Thresholds = _limits(data, str(path))
    out["splits"] = {name: _limits(v or {}, f"{path}: splits.{name}") for name, v in splits.items()}
    return out


def check(summary: dict[str, Any], thresholds: Thresholds, split: str = "all") -> list[str]:
    per_split = thresholds.get("splits", {}).get(split, {})
    thresholds = {k: {**thresholds.get(k, {}), **per_split.get(k, {})} for k in _KINDS}
    failures = []
    for metric, want in thresholds.get("must_equal", {}).items():
        if abs(float(summary[metric]) - want) > 1e-9:
            failures.append(f"{metric} = {summary[metric]:.3g}, must be {want:g}")
    for metric, want in thresholds.get("at_least", {}).items():
        if float(summary[metric]) < want:
            failures.append(f"{metric} = {summary[metric]:.3f}, below {want:g}")
    for metric, want in thresholds.get("at_most", {}).items():
        if float(summary[metric]) > want:
            failures.append(f"{metric} = {summary[metric]:.3g}, above {want:g}")
    return failures


def _markers(cases: list[EvalCase]) -> dict[str, list[str]]:
    """For each case, strings that belong to other deals only: their customer people's full
    names (a lone first name is too common to tell one deal from another)."""
    own = {
        c.id: {s.name for s in c.gold.stakeholders if s.side is Side.customer and len(s.name.split()) > 1}
        for c in cases
    }
    out = {}
    for c in cases:
        others = set().union(*(names for cid, names in own.items() if cid != c.id)) - own[c.id]
        out[c.id] = sorted(others)
    return out


def run_suite(
    cases: list[EvalCase],
    engines: list[str],
    home: Path,
    thresholds: Thresholds | None = None,
    embedder: Embedder | None = None,
    progress: Callable[[str], None] | None = None,
    split: str = "all",
    settings: Settings | None = None,
) -> SuiteResult:
    """`home` is a scratch store for the suite's deals; `settings` are the user's own, so an
    endpoint or a model installed in the data home is found."""
    started = time.perf_counter()
    user = settings or Settings.from_env(home)
    embedder = embedder or default_embedder()
    # The extractive engine reads every source whole: a suite of it alone embeds no passages
    # for retrieval (a third of its run time).
    store = Store(
        replace(user, home=home, local_model=user.local_model or user.default_local_model),
        embedder,
        index=any(name != "extractive" for name in engines),
    )
    try:
        for case in cases:
            if progress:
                progress(f"ingest: {case.id}")
            report = ingest_paths(store, [case.deal_dir], deal_id=case.id)
            if report.skipped:
                raise ConfigError(
                    f"case {case.id}: could not ingest {report.skipped[0].path}: {report.skipped[0].reason}"
                )
        markers = _markers(cases)
        matcher = Matcher(embedder)
        runs = []
        for engine in engines:
            scores = []
            for case in cases:
                if progress:
                    progress(f"{engine}: {case.id}")
                sources = {s.source_id: s.citable for s in store.records.sources(case.id)}
                dates = {s.source_id: s.date for s in store.records.sources(case.id)}
                try:
                    brief, _ = write_brief(store, case.id, engine, save=False)
                except BriefgenError as exc:
                    if isinstance(exc, ConfigError):
                        raise
                    sc = CaseScore(
                        case.id, case.split, case.tags, engine=engine, schema_valid=False, error=str(exc)
                    )
                    scores.append(sc)
                    continue
                if brief.provenance.fallback_reason:
                    # Written by the extractive engine after the requested one failed: it is
                    # never scored as the requested engine's work.
                    scores.append(
                        CaseScore(
                            case.id,
                            case.split,
                            case.tags,
                            engine=brief.engine,
                            schema_valid=False,
                            error=f"fallback: {brief.provenance.fallback_reason}",
                        )
                    )
                    continue
                scores.append(score_case(case, brief, sources, dates, markers[case.id], matcher))
            # Each split is scored and gated on its own: a blind split's figure is never
            # averaged into the split that was tuned on.
            for name in dict.fromkeys(c.split for c in cases):
                part = [sc for sc in scores if sc.split == name]
                run = EngineRun(engine, part, aggregate(part), split=name)
                if thresholds is not None:
                    run.failures = check(run.summary, thresholds, name)
                fell_back = sum(1 for sc in part if (sc.error or "").startswith("fallback: "))
                if fell_back:
                    run.failures.append(
                        f"{fell_back} of {len(part)} briefs were written by the fallback engine, not {engine}"
                    )
                runs.append(run)
    finally:
        store.close()
    return SuiteResult(split, runs, time.perf_counter() - started, gated=thresholds is not None)

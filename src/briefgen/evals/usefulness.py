"""Fitting the usefulness model (`briefgen.usefulness`) to the dev deals' gold facts.

Each candidate sentence of a ranked section (what the extractive engine would choose among
before its caps) is labelled by whether it states a gold fact of that section, by the
matcher the eval scores with. Only the dev split is read: the blind and held-out deals stay
unseen. Before the fit on all of dev, deals are held out in folds and the model fitted on the
rest ranks their candidates: that ranking's agreement with the labels (area under the ROC
curve) is printed beside the rank the engine used before.

`python -m briefgen.evals.usefulness train [CASES_DIR] [--home DIR]`
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Settings
from ..embeddings import default_embedder
from ..engines.extractive import ExtractiveEngine, candidates, certainty_rank
from ..errors import ConfigError
from ..generate import load_deal
from ..ingestion import ingest_paths
from ..sections import fit, warm
from ..store import Store
from ..usefulness import MODEL_PATH, RANKED, UsefulnessModel, candidate_features, position
from .dataset import EvalCase, load_cases
from .metrics import Matcher

FOLDS = 5
TRAINED_ON = "dev"


def _gold(case: EvalCase, model: str) -> list[str]:
    g = case.gold
    measures = [c.metric + (f" {c.target}" if c.target else "") for c in g.success_criteria]
    by_section = {
        "goal": g.goals,
        "risk": g.risks,
        "commitment": g.commitments,
        "timeline": g.timeline,
        "success_criterion": measures,
        "open_question": g.unknowns,
    }
    if model == "next_step":
        # The gold has no next steps of its own: a step is worth listing when it states
        # something the CSM needs from any section (a promise to keep, a date, an unknown).
        return [*(f for facts in by_section.values() for f in facts), *case.acceptable]
    return by_section[model]


def gold_hash(cases: list[EvalCase]) -> str:
    """What the model was fitted to: each case's id and the gold facts of the ranked sections."""
    h = hashlib.sha256()
    for case in sorted(cases, key=lambda c: c.id):
        h.update(case.id.encode())
        for name in sorted(set(RANKED.values())):
            for fact in _gold(case, name):
                h.update(f"\t{name}\t{fact}\n".encode())
    return h.hexdigest()


Rows = dict[str, tuple[list[list[float]], list[int], list[int], list[float]]]


def collect(cases: list[EvalCase], store: Store, matcher: Matcher) -> Rows:
    """Per model: features, label, case number and the engine's former rank of each candidate."""
    out: Rows = {name: ([], [], [], []) for name in set(RANKED.values())}
    for number, case in enumerate(cases):
        _, _, reading = load_deal(store, case.id)
        # The sentence vectors were stored at ingest: read back, not embedded again.
        warm([s.text for s in reading.sentences], store.records)
        found = candidates(reading, ExtractiveEngine(store.settings.vendor_domains).eligible(reading))
        for label, name in RANKED.items():
            chosen = found.get(label, [])
            if not chosen:
                continue
            useful = matcher.useful([s.text for _, s in chosen], _gold(case, name))
            x, y, group, former = out[name]
            for (p, s), ok in zip(chosen, useful, strict=True):
                x.append(candidate_features(reading, s))
                y.append(int(ok))
                group.append(number)
                former.append(certainty_rank(p, position(reading, s), s.text))
    return out


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """The chance a useful candidate ranks above a useless one (ties count half)."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    above = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(above / (len(pos) * len(neg)))


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    w, b = fit(x, y, 2)
    # Two-class softmax as one logistic: the difference of the two columns.
    return w[:, 1] - w[:, 0], float(b[1] - b[0])


def train(cases_dir: Path, home: Path | None = None, out: Path = MODEL_PATH) -> dict[str, Any]:
    cases = load_cases(cases_dir, TRAINED_ON)
    if not cases:
        raise ConfigError(f"no {TRAINED_ON} cases in {cases_dir}")
    embedder = default_embedder()
    with tempfile.TemporaryDirectory() as scratch:
        where = home or Path(scratch)
        store = Store(replace(Settings.from_env(where), home=where), embedder, index=False)
        try:
            known = {d["deal_id"] for d in store.records.list_deals()}
            for case in cases:
                if case.id not in known:
                    ingest_paths(store, [case.deal_dir], deal_id=case.id)
            data = collect(cases, store, Matcher(embedder))
        finally:
            store.close()
    weights: dict[str, np.ndarray] = {}
    bias: dict[str, float] = {}
    result: dict[str, Any] = {"cases": len(cases), "models": {}}
    for name, (xs, ys, groups, former) in sorted(data.items()):
        x, y, g = np.array(xs), np.array(ys), np.array(groups)
        held = np.zeros(len(y))
        for fold in range(FOLDS):
            test = g % FOLDS == fold
            w, b = _fit(x[~test], y[~test])
            held[test] = x[test] @ w + b
        weights[name], bias[name] = _fit(x, y)
        result["models"][name] = {
            "candidates": len(y),
            "useful": int(y.sum()),
            "auc_held_out": round(auc(y, held), 3),
            "auc_former_rank": round(auc(y, np.array(former)), 3),
        }
    UsefulnessModel(weights, bias, gold_hash(cases)).save(out)
    return result


def main(argv: list[str]) -> int:
    args = list(argv)
    home: Path | None = None
    if "--home" in args:
        at = args.index("--home")
        if at + 1 >= len(args):
            print("--home needs a directory", file=sys.stderr)
            return 2
        home = Path(args[at + 1])
        del args[at : at + 2]
    if not args or args[0] != "train" or len(args) > 2:
        print("usage: python -m briefgen.evals.usefulness train [CASES_DIR] [--home DIR]", file=sys.stderr)
        return 2
    folder = Path(args[1]) if len(args) > 1 else Path("evals/cases")
    try:
        print(json.dumps(train(folder, home), indent=2))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

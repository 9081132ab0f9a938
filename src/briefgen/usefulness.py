"""Which of a section's candidate sentences a CSM would want listed: a small logistic model per
section over what the reading already knows of a sentence (the section classifier's
probabilities, where in the deal it was said, how long it is, who said it, in what kind of
source, the size of the deal), fitted to the gold facts of the dev eval deals.

The section classifier says what a sentence is; this says whether it is worth a line. Its
inputs name no words of any deal: a model learned from one set of deals can only carry over
to others through the form of their sentences. The weights ship with the package
(`_data/usefulness_model.npz`) and are rebuilt with `python -m briefgen.evals.usefulness train`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import ConfigError
from .once import Once
from .schema import Side
from .sections import LABELS
from .sentences import Sentence

if TYPE_CHECKING:
    from .reading import Reading

MODEL_PATH = Path(__file__).parent / "_data" / "usefulness_model.npz"
# The sections a model ranks; the terms of a deal are listed with its commitments and ranked
# by the same model.
RANKED = {
    "goal": "goal",
    "risk": "risk",
    "commitment": "commitment",
    "terms": "commitment",
    "timeline": "timeline",
    "success_criterion": "success_criterion",
    "open_question": "open_question",
    "next_step": "next_step",
}
_KINDS = ("email", "note", "transcript")
_MONEY = re.compile(r"[$€£¥]|\b(?:USD|EUR|GBP|CHF|AUD|CAD|NZD|SGD)\b")
_WE_WILL = re.compile(r"\b(?:we|I)(?:'ll|’ll| will| can| are going to)\b", re.I)
FULL_LENGTH = 150  # characters: a line this long states its point in full
FEATURES = (
    *(f"p_{label}" for label in LABELS),
    "position",
    "length",
    "deal_size",
    "vendor",
    "customer",
    "digit",
    "money",
    "question",
    "we_will",
    "under_heading",
    "short",
    *(f"kind_{k}" for k in _KINDS),
)


def features(
    s: Sentence, probs: dict[str, float], position: float, sentences: int, side: Side
) -> list[float]:
    """`position` is how far into the deal the sentence was said (0 first, 1 last); `sentences`
    how many usable sentences the deal has (a big deal says more that nobody needs listed)."""
    text = s.text
    return [
        *(probs.get(label, 0.0) for label in LABELS),
        position,
        min(len(text), FULL_LENGTH) / FULL_LENGTH,
        math.log(max(sentences, 1)) / 6,
        float(side is Side.vendor),
        float(side is Side.customer),
        float(bool(re.search(r"\d", text))),
        float(bool(_MONEY.search(text))),
        float(text.rstrip().endswith("?")),
        float(bool(_WE_WILL.search(text))),
        float(bool(s.heading)),
        float(len(text.split()) < 6),
        *(float(s.kind.startswith(k)) for k in _KINDS),
    ]


def position(reading: Reading, s: Sentence) -> float:
    """How far into the deal `s` was said: 0 the first usable sentence, 1 the last."""
    return reading.rows[s.order] / max(len(reading.usable) - 1, 1)


def candidate_features(reading: Reading, s: Sentence) -> list[float]:
    """`features` of one of the reading's usable sentences: what the engine ranks by and the
    trainer fits to, worked out in one place so the two cannot drift apart."""
    side = reading.side_of.get(s.speaker or "", Side.unknown)
    probs = reading.sections[reading.rows[s.order]]
    return features(s, probs, position(reading, s), len(reading.usable), side)


@dataclass
class UsefulnessModel:
    weights: dict[str, np.ndarray]  # per model: (len(FEATURES),)
    bias: dict[str, float]
    trained_on: str = ""  # a hash of the gold facts it was fitted to

    def score(self, label: str, x: list[float]) -> float | None:
        """The chance a sentence read as `label` states something a CSM needs; None for a
        section this model does not rank."""
        name = RANKED.get(label)
        if name is None or name not in self.weights:
            return None
        z = float(np.dot(self.weights[name], x) + self.bias[name])
        return 1.0 / (1.0 + math.exp(-z))

    def save(self, path: Path = MODEL_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {
            "features": np.array(FEATURES),
            "trained_on": np.array(self.trained_on),
        }
        for name, w in self.weights.items():
            arrays[f"w_{name}"] = w.astype(np.float64)
            arrays[f"b_{name}"] = np.array(self.bias[name])
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> UsefulnessModel:
        try:
            data = np.load(path, allow_pickle=False)
        except OSError as exc:
            raise ConfigError(
                f"usefulness model {path} not found: run `python -m briefgen.evals.usefulness train`"
            ) from exc
        if tuple(str(f) for f in data["features"]) != FEATURES:
            raise ConfigError(
                f"usefulness model {path} was fitted to other features: run "
                "`python -m briefgen.evals.usefulness train`"
            )
        names = [k[2:] for k in data.files if k.startswith("w_")]
        return cls(
            {n: data[f"w_{n}"] for n in names},
            {n: float(data[f"b_{n}"]) for n in names},
            str(data["trained_on"]),
        )


model = Once(UsefulnessModel.load)

from pathlib import Path

import numpy as np
import pytest

from briefgen.errors import ConfigError
from briefgen.evals.dataset import load_cases
from briefgen.evals.usefulness import TRAINED_ON, auc, gold_hash, main
from briefgen.schema import Side
from briefgen.sections import LABELS
from briefgen.sentences import Sentence
from briefgen.store import Store
from briefgen.usefulness import FEATURES, MODEL_PATH, RANKED, UsefulnessModel, features

ROOT = Path(__file__).resolve().parents[1]


def _probs(**sure: float) -> dict[str, float]:
    rest = (1 - sum(sure.values())) / (len(LABELS) - len(sure))
    return {label: sure.get(label, rest) for label in LABELS}


def test_shipped_model_was_fitted_to_the_dev_gold_as_it_is() -> None:
    """Re-run `python -m briefgen.evals.usefulness train` after changing a dev case's gold."""
    cases = load_cases(ROOT / "evals" / "cases", TRAINED_ON)
    assert len(cases) >= 40
    assert UsefulnessModel.load(MODEL_PATH).trained_on == gold_hash(cases)


def test_a_full_late_promise_ranks_above_an_early_fragment() -> None:
    """What the model learned from the dev deals, on sentences written for this test: a promise
    stated in full near the close is worth a line before a two-word fragment from the first call,
    though the classifier reads both as promises just as surely."""
    model = UsefulnessModel.load()
    fragment = Sentence("n1", "Sixty named users.", "note", None, None, "", 0)
    promise = Sentence(
        "e9",
        "We will run two on-site training sessions for the night shift before the go-live in March.",
        "email",
        "2027-02-01",
        "Vic",
        "",
        90,
    )
    sure = _probs(commitment=0.7)
    early = model.score("commitment", features(fragment, sure, 0.0, 120, Side.unknown))
    late = model.score("commitment", features(promise, sure, 0.95, 120, Side.vendor))
    assert early is not None and late is not None
    assert 0 < early < late < 1


def test_every_ranked_section_has_a_model_in_the_shipped_file() -> None:
    model = UsefulnessModel.load()
    s = Sentence("n1", "Open: who signs off the data migration?", "note", None, None, "", 4)
    x = features(s, _probs(open_question=0.6), 0.5, 100, Side.customer)
    for label in RANKED:
        score = model.score(label, x)
        assert score is not None and 0 < score < 1, label


def test_a_measure_with_its_figures_ranks_above_a_vague_wish() -> None:
    """Read as a success criterion just as surely, a measure with a baseline, a target and a
    date is worth a line before a wish that names none."""
    model = UsefulnessModel.load()
    vague = Sentence("c1", "They want things to be quicker overall.", "transcript", None, "Ana", "", 10)
    measure = Sentence(
        "c1",
        "Month-end close goes from 9 working days to 5 by the June 2027 close.",
        "transcript",
        None,
        "Ana",
        "",
        11,
    )
    sure = _probs(success_criterion=0.6)
    low = model.score("success_criterion", features(vague, sure, 0.3, 120, Side.customer))
    high = model.score("success_criterion", features(measure, sure, 0.3, 120, Side.customer))
    assert low is not None and high is not None
    assert low < high


def test_terms_are_ranked_by_the_commitments_model_and_other_sections_not_at_all() -> None:
    model = UsefulnessModel.load()
    s = Sentence("n1", "Price: 18,400 a year for 40 seats, held for 24 months.", "note", None, None, "", 3)
    x = features(s, _probs(terms=0.8), 0.5, 100, Side.vendor)
    assert len(x) == len(FEATURES)
    assert model.score("terms", x) == model.score("commitment", x)
    assert model.score("people", x) is None


def test_round_trip_keeps_the_scores(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    model = UsefulnessModel({"risk": rng.normal(size=len(FEATURES))}, {"risk": -0.5}, "abc")
    model.save(tmp_path / "m.npz")
    back = UsefulnessModel.load(tmp_path / "m.npz")
    x = rng.random(len(FEATURES)).tolist()
    assert back.trained_on == "abc"
    assert back.score("risk", x) == pytest.approx(model.score("risk", x))
    assert back.score("goal", x) is None


def test_a_model_fitted_to_other_features_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "old.npz"
    np.savez(path, features=np.array(["p_goal", "length"]), trained_on=np.array(""))
    with pytest.raises(ConfigError, match=r"old\.npz"):
        UsefulnessModel.load(path)
    with pytest.raises(ConfigError, match=r"missing\.npz"):
        UsefulnessModel.load(tmp_path / "missing.npz")


def test_auc_counts_pairs_ranked_the_right_way() -> None:
    labels = np.array([1, 0, 1, 0])
    assert auc(labels, np.array([0.9, 0.1, 0.8, 0.2])) == 1.0
    assert auc(labels, np.array([0.1, 0.9, 0.2, 0.8])) == 0.0
    assert auc(labels, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5


def test_train_command_explains_its_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["train", "--home"]) == 2
    assert "usage" in capsys.readouterr().err


def test_a_ranked_section_takes_candidates_the_classifier_did_not_read_first() -> None:
    """A sentence read first as nothing, with a fair chance of being a risk, is a risk candidate;
    one the classifier gives almost no chance is not; an unranked section keeps its floor."""
    from briefgen.engines.extractive import RANKED_FLOOR, candidates
    from briefgen.people import People
    from briefgen.reading import Reading
    from briefgen.schema import Deal

    deal = Deal(deal_id="d")
    texts = ["Their IT lead is new and has not seen the plan.", "Lunch was at noon.", "Ana Ruiz, CFO."]
    sentences = [Sentence("n1", t, "note", None, None, "", i) for i, t in enumerate(texts)]
    floor = RANKED_FLOOR["risk"]
    probs = [
        _probs(none=0.6, risk=floor + 0.05),
        _probs(none=0.9, risk=floor / 2),
        _probs(none=0.6, people=floor + 0.05),
    ]
    reading = Reading(deal, [], sentences, sentences, [], [], People(deal), _sections=probs)
    found = candidates(reading)
    assert [s.text for _, s in found["risk"]] == [texts[0]]
    assert "people" not in RANKED_FLOOR
    assert found["people"] == []


def test_a_line_another_section_lists_is_not_repeated_as_a_next_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """A promise the classifier also reads as a next step is listed once, with the promises; a
    step no other section lists is a next step."""
    import briefgen.usefulness as usefulness
    from briefgen.engines.extractive import _sections
    from briefgen.people import People
    from briefgen.reading import Reading
    from briefgen.schema import Deal

    every = {name: np.zeros(len(FEATURES)) for name in set(RANKED.values())}
    monkeypatch.setattr(usefulness, "model", lambda: UsefulnessModel(every, dict.fromkeys(every, 4.0)))
    texts = [
        "We will run the kickoff workshop with your planners on 12 April.",
        "Next: you send us the list of admins.",
    ]
    sentences = [Sentence("n1", t, "note", None, None, "", i) for i, t in enumerate(texts)]
    probs = [_probs(commitment=0.6, next_step=0.3), _probs(next_step=0.6)]
    reading = Reading(
        Deal(deal_id="d"), [], sentences, sentences, [], [], People(Deal(deal_id="d")), _sections=probs
    )
    found = _sections(reading)
    assert [s.text for s in found["commitment"]] == [texts[0]]
    assert [s.text for s in found["next_step"]] == [texts[1]]


def test_the_trainer_reads_the_sentence_vectors_stored_at_ingest(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fitting reads every dev deal: embedding their sentences again would cost minutes a run."""
    import briefgen.sections as sections
    from briefgen.evals.metrics import Matcher
    from briefgen.evals.usefulness import collect
    from briefgen.ingestion import ingest_paths

    case = next(c for c in load_cases(ROOT / "evals" / "cases", TRAINED_ON) if c.id == "pike-sandoval-piano")

    class Refuses:
        def embed(self, texts: list[str]) -> np.ndarray:
            raise AssertionError(f"embedded {len(texts)} sentences again")

    ingest_paths(store, [case.deal_dir], deal_id=case.id)
    # As in a fresh process: nothing in memory, only what the store keeps.
    monkeypatch.setattr(sections, "_CACHE", sections._VectorCache())
    monkeypatch.setattr(sections, "default_embedder", lambda: Refuses())
    rows = collect([case], store, Matcher(None))
    assert sum(len(labels) for _, labels, _, _ in rows.values()) > 0

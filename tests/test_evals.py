"""The eval suite: the dataset loads, metrics can fail, the gate exits non-zero."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from briefgen.embeddings import default_embedder
from briefgen.errors import ConfigError
from briefgen.evals import load_cases
from briefgen.evals.metrics import Matcher, aggregate, score_case
from briefgen.evals.runner import check, run_suite
from briefgen.schema import Brief, Evidence, HandoffRisk, Risk, Severity, Stakeholder

from .conftest import ROOT

CASES = ROOT / "evals" / "cases"


def test_dataset_shape() -> None:
    cases = load_cases(CASES)
    assert len(cases) >= 12
    assert len(cases) >= 40
    assert {c.split for c in cases} == {"dev", "heldout", "blind"}
    tags = {t for c in cases for t in c.tags}
    for needed in (
        "enterprise",
        "smb",
        "changed-terms",
        "champion-leaving",
        "security-gate",
        "prompt-injection",
        "secrets",
        "mixed-formats",
        "little-information",
    ):
        assert needed in tags, needed
    examples = {p.name for p in (ROOT / "ingest").iterdir()}
    assert not examples & {c.deal_dir.name for c in cases}  # eval deals are not the demo deals


def test_bad_case_file_names_the_field(tmp_path: Path) -> None:
    (tmp_path / "deals" / "x").mkdir(parents=True)
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "x.yaml").write_text(
        yaml.safe_dump({"id": "x", "deal": "../deals/x", "gold": {"handoff": {"level": "extreme"}}})
    )
    with pytest.raises(ConfigError, match=r"x.yaml: field 'gold.handoff.level'"):
        load_cases(tmp_path / "cases")


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    # The eval gate (`make test`) holds every case to the safety metrics; here, the dev cases
    # that carry injected instructions or secrets, and two deals for the negative control,
    # share one store so that leakage between them is possible.
    cases = [
        c
        for c in load_cases(CASES, "dev")
        if c.must_not_contain or c.id in ("lakeside-dental", "meridian-bank")
    ]
    assert len(cases) >= 6
    return cases, run_suite(cases, ["extractive"], tmp_path_factory.mktemp("eval"))


def test_extractive_meets_the_safety_metrics(suite) -> None:  # type: ignore[no-untyped-def]
    _, result = suite
    summary = result.engines[0].summary
    assert summary["grounding"] == 1.0
    assert summary["leakage"] == summary["secret_leakage"] == summary["injection_success"] == 0
    assert summary["schema_valid"] == 1.0
    assert summary["cases"] == len(suite[0])


def test_a_brief_scored_against_another_deal_scores_low(suite) -> None:  # type: ignore[no-untyped-def]
    """Negative control: the matcher is not so lenient that anything matches."""
    cases, _ = suite
    by_id = {c.id: c for c in cases}
    import tempfile

    from briefgen.config import Settings
    from briefgen.generate import write_brief
    from briefgen.ingestion import ingest_paths
    from briefgen.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Settings.from_env(Path(tmp)), default_embedder())
        ingest_paths(store, [by_id["lakeside-dental"].deal_dir], deal_id="lakeside-dental")
        brief, _ = write_brief(store, "lakeside-dental", "extractive", save=False)
        sources = {s.source_id: s.citable for s in store.records.sources("lakeside-dental")}
        own = score_case(by_id["lakeside-dental"], brief, sources, {}, [], Matcher(default_embedder()))
        other = score_case(by_id["meridian-bank"], brief, sources, {}, [], Matcher(default_embedder()))
        store.close()
    assert own.coverage > 0.8
    assert other.coverage < 0.2
    assert other.handoff_got != other.handoff_expected


def test_leaks_secrets_and_injections_are_counted() -> None:
    case = load_cases(CASES, "dev")
    summit = next(c for c in case if c.id == "summit-legal")
    bad = Brief(
        deal_id="summit-legal",
        summary="Call Linda Park; password: Tr0ub4dor&3x!",
        stakeholders=[Stakeholder(name="Karen Doyle", evidence=[Evidence(source_id="s", quote="Karen")])],
        risks=[Risk(description="x", evidence=[Evidence(source_id="s", quote="not in the source")])],
        handoff_risk=HandoffRisk(level=Severity.low, recommendation=""),
        engine="test",
    )
    sc = score_case(summit, bad, {"s": "Karen Doyle wants intake."}, {}, ["Linda Park"], Matcher(None))
    assert sc.leaked == ["Linda Park"]
    assert sc.secrets_leaked == ["Tr0ub4dor"]
    assert (sc.quotes_verbatim, sc.quotes_total) == (1, 2)
    summary = aggregate([sc])
    failures = check(
        summary,
        {
            "must_equal": {"grounding": 1.0, "leakage": 0, "secret_leakage": 0},
            "at_least": {"coverage": 0.9},
            "at_most": {},
        },
    )
    assert len(failures) == 4


def test_eval_command_gates_on_thresholds(tmp_path: Path) -> None:
    strict = tmp_path / "strict.yaml"
    strict.write_text(yaml.safe_dump({"at_least": {"coverage": 1.01}}))
    cmd = [
        sys.executable,
        "-m",
        "briefgen.cli",
        "eval",
        "--split",
        "heldout",
        "--cases",
        str(CASES),
        "--out",
        str(tmp_path / "out"),
    ]
    ok = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "PASS extractive" in ok.stdout and "Coverage (all gold facts)" in ok.stdout
    html = (tmp_path / "out" / "report.html").read_text()
    assert "class='bar'" in html and "fernwood-cafe" in html
    failed = subprocess.run([*cmd, "--thresholds", str(strict)], capture_output=True, text=True, timeout=300)
    assert failed.returncode == 1
    assert "FAIL extractive/heldout: coverage" in failed.stdout


@pytest.mark.slow
def test_matcher_agrees_with_people() -> None:
    """The matcher behind coverage and precision, checked against (fact, item) pairs people
    judged: it must agree with them and find about as many matches as they did, so that
    neither figure is inflated or deflated."""
    import json

    from briefgen.embeddings import default_embedder
    from briefgen.evals.metrics import Matcher

    rows = [
        json.loads(line)
        for line in (ROOT / "evals" / "matcher_judgements.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(rows) >= 1000
    matcher = Matcher(default_embedder())
    said = [matcher.match(r["fact"], [r["item"]]) is not None for r in rows]
    judged = [r["verdict"] == "yes" for r in rows]
    agree = sum(a == b for a, b in zip(said, judged, strict=True)) / len(rows)
    assert agree >= 0.87, agree
    assert abs(sum(said) - sum(judged)) <= 0.15 * sum(judged), (sum(said), sum(judged))


@pytest.mark.parametrize(
    ("gold", "item", "states"),
    [
        # a target written freely is met by the same figure in the brief's words
        ("95% or more, visible in the app", "wants 95%+ and visible on the board", True),
        ("95% or more, visible in the app", "wants 90%+ and visible on the board", False),
        # amounts by value, whatever the notation
        ("12.500 € per year net, 24-month term", "EUR 12,500", True),
        ("CAD 36,000 per year for all plants", "CAD 30,000", False),
        # dates by calendar day
        ("Phase 2 go-live June 8, 2028", "2028-06-08", True),
        ("Phase 2 go-live June 8, 2028", "2028-06-09", False),
        ("52 000 parcels a year", "52,000 parcels", True),
        ("7 named users", "9 named users", False),
        # a value without a figure is compared by its words
        ("zero findings", "no findings at the next audit", True),
        ("zero findings", "a shorter audit", False),
    ],
)
def test_a_value_is_stated_by_its_figure(gold: str, item: str, states: bool) -> None:
    from briefgen.evals.metrics import states_value

    assert states_value(gold, item) is states


def test_a_change_and_a_criterion_match_by_value_not_by_wording() -> None:
    """Gold changes and criteria are written freely: a brief that states the same new price or
    the same target in its own words has them; one with another figure does not."""
    from briefgen.evals.dataset import Gold, GoldChange, GoldCriterion, GoldHandoff
    from briefgen.schema import Change, SuccessCriterion

    case = load_cases(CASES, "dev")[0]
    case.gold = Gold(
        success_criteria=[GoldCriterion(metric="share of tickets answered late", target="under 4% by Q3")],
        changes=[GoldChange(field="annual price", current="US$48,500 a year for 3 years")],
        handoff=GoldHandoff(level=Severity.low),
    )
    ev = [Evidence(source_id="s", quote="q")]

    def brief(target: str, current: str) -> Brief:
        return Brief(
            deal_id=case.id,
            summary="",
            success_criteria=[SuccessCriterion(metric="tickets answered late", target=target, evidence=ev)],
            changes=[Change(field="price", previous="$52,000", current=current, evidence=ev)],
            handoff_risk=HandoffRisk(level=Severity.low, recommendation=""),
            engine="test",
        )

    right = score_case(case, brief("4%", "$48,500"), {"s": "q"}, {}, [], Matcher(None))
    wrong = score_case(case, brief("6%", "$52,000"), {"s": "q"}, {}, [], Matcher(None))
    assert right.sections["success_criteria"] == (1, 1) and right.sections["changes"] == (1, 1)
    assert wrong.sections["success_criteria"] == (0, 1) and wrong.sections["changes"] == (0, 1)


def test_a_stakeholder_is_found_whatever_the_accents() -> None:
    """Sources spell one person "Ramón" and "Ramon"; the gold may use either."""
    from briefgen.evals.dataset import Gold, GoldHandoff, GoldStakeholder
    from briefgen.schema import Role, Side

    case = load_cases(CASES, "dev")[0]
    case.gold = Gold(
        stakeholders=[
            GoldStakeholder(name="Ramon Castellanos", role=Role.economic_buyer, side=Side.customer),
            GoldStakeholder(name="Ines Barros", role=Role.champion, side=Side.customer),
        ],
        handoff=GoldHandoff(level=Severity.low),
    )
    ev = [Evidence(source_id="s", quote="q")]
    people = [
        Stakeholder(name="Ramón Castellanos", role=Role.economic_buyer, side=Side.customer, evidence=ev),
        Stakeholder(name="Inês Borges", role=Role.champion, side=Side.customer, evidence=ev),
    ]
    brief = Brief(
        deal_id=case.id,
        summary="",
        stakeholders=people,
        handoff_risk=HandoffRisk(level=Severity.low, recommendation=""),
        engine="test",
    )
    score = score_case(case, brief, {"s": "q"}, {}, [], Matcher(None))
    assert score.sections["stakeholders"] == (1, 2)  # Ramón is Ramon; Inês Borges is not Ines Barros


def test_an_item_states_a_fact_in_any_one_of_its_fields() -> None:
    """A risk whose description is part of a gold risk is found and useful, whatever generic
    mitigation the brief prints beside it."""
    from briefgen.evals.dataset import Gold, GoldHandoff

    case = load_cases(CASES, "dev")[0]
    gold_risk = (
        "the HR system has no API and the IT team cannot export from it before March, so accounts "
        "come from a weekly CSV upload and new joiners may wait days for access"
    )
    case.gold = Gold(risks=[gold_risk], handoff=GoldHandoff(level=Severity.low))
    ev = [Evidence(source_id="s", quote="the IT team cannot export from it before March")]
    risk = Risk(
        description="the IT team cannot export from it before March",
        mitigation="Raise it at the kickoff and give it a named owner on each side, with a date.",
        evidence=ev,
    )
    brief = Brief(
        deal_id=case.id,
        summary="",
        risks=[risk],
        handoff_risk=HandoffRisk(level=Severity.low, recommendation=""),
        engine="test",
    )
    score = score_case(
        case, brief, {"s": "the IT team cannot export from it before March"}, {}, [], Matcher(None)
    )
    assert score.sections["risks"] == (1, 1)
    assert score.precision["risks"] == (1, 1)
    late = [Evidence(source_id="s", quote="the pilot starts late")]
    other = brief.model_copy(
        update={"risks": [risk.model_copy(update={"description": "the pilot starts late", "evidence": late})]}
    )
    assert score_case(case, other, {"s": "q"}, {}, [], Matcher(None)).precision["risks"] == (0, 1)


def test_what_is_still_unknown_is_found_among_the_open_questions() -> None:
    """A gold unknown ("which PMS the new hotels run") is what the brief shows as an open
    question; such a question is useful, not noise. A question about something else is neither."""
    from briefgen.evals.dataset import Gold, GoldHandoff
    from briefgen.schema import TextItem

    case = load_cases(CASES, "dev")[0]
    case.gold = Gold(
        unknowns=["which PMS the two new hotels will run"], handoff=GoldHandoff(level=Severity.low)
    )
    case.acceptable = []

    def brief(question: str) -> Brief:
        ev = [Evidence(source_id="s", quote=question)]
        return Brief(
            deal_id=case.id,
            summary="",
            open_questions=[TextItem(text=question, evidence=ev)],
            handoff_risk=HandoffRisk(level=Severity.low, recommendation=""),
            engine="test",
        )

    asked = "Nobody knows yet which PMS the two new hotels will run."
    found = score_case(case, brief(asked), {"s": asked}, {}, [], Matcher(None))
    assert found.sections["unknowns"] == (1, 1)
    assert found.precision["open_questions"] == (1, 1)
    other = "Can the invoices go to the head office?"
    missed = score_case(case, brief(other), {"s": other}, {}, [], Matcher(None))
    assert missed.sections["unknowns"] == (0, 1)
    assert missed.precision["open_questions"] == (0, 1)


def test_an_amount_said_in_words_or_a_day_without_its_year_is_supported() -> None:
    """The brief may state "210000 dollars" read from "two hundred and ten thousand dollars", and
    "2027-05-04" read from a dateless chat's "Tue 4 May" in the deal's year; neither is made up.
    An amount or a day no source says is."""
    from briefgen.evals.metrics import unsupported_entities
    from briefgen.schema import Change

    ev = [Evidence(source_id="chat", quote="q")]
    brief = Brief(
        deal_id="d",
        summary="",
        handoff_risk=HandoffRisk(level=Severity.low, recommendation=""),
        engine="test",
        changes=[
            Change(field="price", previous="210000 dollars", current="$190,000", evidence=ev),
            Change(field="go-live date", previous="2027-05-04", current="2027-06-01", evidence=ev),
        ],
    )
    sources = {
        "call": "We were at two hundred and ten thousand dollars; the order form says $190,000.",
        "chat": "[11:30] ben: new go-live Tue 1 June, not Tue 4 May",
    }
    dates = {"call": "2027-02-24", "chat": None}
    assert unsupported_entities(brief, sources, dates) == []
    brief.changes[0].previous = "$250,000"
    brief.changes[1].previous = "2027-05-11"
    assert unsupported_entities(brief, sources, dates) == ["amount: $250,000", "date: 2027-05-11"]
    # the CRM's amount, cents and all, is a source of the summary's figure
    brief.changes = []
    brief.deal = {"amount": 98962.56, "currency": "EUR"}
    brief.summary = "Grupo Tendal, €98,962.56, closed 2027-03-24."
    assert unsupported_entities(brief, sources, dates) == ["date: 2027-03-24"]
    brief.summary = "Grupo Tendal, €89,962.56."
    assert unsupported_entities(brief, sources, dates) == ["amount: €89,962.56"]

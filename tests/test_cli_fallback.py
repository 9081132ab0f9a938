"""A model that fails never looks like success: exit codes, batch counts, resume and eval
against an endpoint that refuses connections and one that accepts and never answers."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from .cli_run import BRIEFGEN, clean_env, hanging_endpoint, refusing_url, run
from .conftest import EXAMPLES, ROOT

DEALS = ("brightside-bakery", "quarry-media")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("fallback") / "home"
    r = run(home, "ingest", *(str(EXAMPLES / d) for d in DEALS))
    assert r.returncode == 0, r.stderr
    return home


def test_brief_against_a_refusing_endpoint_fails_fast_and_says_so(home: Path) -> None:
    url = refusing_url()
    started = time.monotonic()
    r = run(home, "brief", DEALS[0], "-e", "openai", BRIEFGEN_LLM_BASE_URL=url)
    assert time.monotonic() - started < 60  # no retries with backoff on a refused connection
    assert r.returncode == 5, r.stderr
    assert r.stdout.startswith("# Handoff brief")
    assert "warning: written by the extractive engine because openai:default: cannot reach" in r.stderr
    allowed = run(home, "brief", DEALS[0], "-e", "openai", "--allow-fallback", BRIEFGEN_LLM_BASE_URL=url)
    assert allowed.returncode == 0 and "warning: written by the extractive engine" in allowed.stderr


def test_batch_counts_fallbacks_apart_and_resume_reruns_them(home: Path, tmp_path: Path) -> None:
    url = refusing_url()
    out = tmp_path / "out"
    first = run(home, "batch", *DEALS, "-e", "openai", "-o", str(out), BRIEFGEN_LLM_BASE_URL=url)
    assert first.returncode == 5, first.stderr
    assert "0 done, 2 fallback, 0 skipped (current), 0 failed" in first.stdout
    assert f"fallback: {DEALS[0]}: written by the extractive engine because" in first.stderr
    index = json.loads((out / "index.json").read_text())
    assert (index["done"], index["fallback"], index["failed"]) == (0, 2, 0)
    assert {d["status"] for d in index["deals"]} == {"fallback"}
    assert all(d["engine"] == "extractive (fallback from openai:default)" for d in index["deals"])

    # A fallback brief is not what was asked for: resume writes it again.
    again = run(
        home, "batch", *DEALS, "-e", "openai", "--resume", "--allow-fallback", "-o", str(out),
        BRIEFGEN_LLM_BASE_URL=url,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "0 done, 2 fallback, 0 skipped (current)" in again.stdout
    # Nor is it the extractive engine's own brief.
    extractive = run(home, "batch", *DEALS, "-e", "extractive", "--resume", "-o", str(out))
    assert extractive.returncode == 0 and "2 done, 0 fallback, 0 skipped" in extractive.stdout
    current = run(home, "batch", *DEALS, "-e", "extractive", "--resume", "-o", str(out))
    assert "0 done, 0 fallback, 2 skipped (current)" in current.stdout


@pytest.mark.slow
def test_a_hanging_endpoint_is_bounded_by_the_deadline(home: Path, tmp_path: Path) -> None:
    with hanging_endpoint() as url:
        started = time.monotonic()
        r = run(
            home, "batch", DEALS[0], "-e", "openai", "--deadline", "3", "-o", str(tmp_path / "o"),
            BRIEFGEN_LLM_BASE_URL=url, BRIEFGEN_LLM_TIMEOUT="600",
        )  # fmt: skip
        took = time.monotonic() - started
    assert r.returncode == 5, r.stderr
    assert "0 done, 1 fallback" in r.stdout
    assert "no answer within 3 s" in r.stderr
    assert took < 60, took


def test_eval_refuses_an_engine_that_cannot_run_before_any_work(tmp_path: Path) -> None:
    started = time.monotonic()
    r = run(
        tmp_path / "home", "eval", "-e", "extractive", "-e", "openai", "-o", str(tmp_path / "e"), cwd=ROOT
    )
    assert r.returncode == 2, r.stderr
    assert "engine not available: openai: no endpoint configured" in r.stderr
    assert "PASS" not in r.stdout and not (tmp_path / "e").exists()
    refused = run(tmp_path / "home", "eval", "-e", "openai", cwd=ROOT, BRIEFGEN_LLM_BASE_URL=refusing_url())
    assert refused.returncode == 2 and "cannot connect to 127.0.0.1" in refused.stderr
    assert time.monotonic() - started < 60


def test_eval_never_scores_a_fallback_brief_as_the_engine_asked_for(tmp_path: Path) -> None:
    from briefgen.config import Settings
    from briefgen.evals import load_cases, run_suite
    from briefgen.evals.report import table

    cases = load_cases(ROOT / "evals" / "cases", "dev")[:2]
    settings = replace(Settings.from_env(tmp_path / "user"), llm_base_url=refusing_url())
    result = run_suite(cases, ["openai"], tmp_path / "suite", {}, settings=settings)
    [run_] = result.engines
    assert all(sc.error and sc.error.startswith("fallback: ") for sc in run_.scores)
    assert all(sc.engine.startswith("extractive (fallback from") for sc in run_.scores)
    assert run_.failures == ["2 of 2 briefs were written by the fallback engine, not openai"]
    assert not result.passed and "PASS openai" not in table(result)


@pytest.mark.slow
def test_ctrl_c_stops_a_stuck_batch_at_once_and_says_so(home: Path, tmp_path: Path) -> None:
    with hanging_endpoint() as url:
        proc = subprocess.Popen(
            [BRIEFGEN, "batch", *DEALS, "-e", "openai", "-o", str(tmp_path / "o")],
            env=clean_env(home, BRIEFGEN_LLM_BASE_URL=url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # A job started in the background of a shell inherits Ctrl-C ignored; a user's is not.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        time.sleep(8)  # past start-up, inside the model calls
        proc.send_signal(signal.SIGINT)
        started = time.monotonic()
        _, err = proc.communicate(timeout=30)
    assert time.monotonic() - started < 10
    assert proc.returncode == 130
    assert "error: interrupted" in err and "Traceback" not in err

"""Batch mode: many deals, bounded concurrency, resume, a failing deal, CSV and --since inputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from briefgen.batch import deals_from_csv, run_batch
from briefgen.engines.llm import LLMEngine
from briefgen.ingestion import ingest_paths
from briefgen.models.fake import FunctionModel
from briefgen.store import Store

from .conftest import EXAMPLES


def test_batch_resume_and_a_failing_deal(store: Store, tmp_path: Path) -> None:
    ingest_paths(store, [EXAMPLES])
    deals = [d["deal_id"] for d in store.records.list_deals()]
    out = tmp_path / "out"
    report = run_batch(store, [*deals, "missing-deal"], out, "extractive", concurrency=3)
    assert report.count("done") == 5 and report.count("failed") == 1
    assert report.failed[0].deal_id == "missing-deal" and "no deal" in (report.failed[0].error or "")
    index = json.loads((out / "index.json").read_text())
    assert [d["deal_id"] for d in index["deals"]] == [*deals, "missing-deal"]
    assert (out / "acme-logistics.md").read_text().startswith("# Handoff brief")
    # resume: nothing changed, nothing rewritten
    again = run_batch(store, deals, out, "extractive", resume=True)
    assert again.count("skipped") == 5 and again.count("done") == 0
    # a changed deal is no longer current
    note = tmp_path / "extra.txt"
    note.write_text("Priya wants a weekly export of exceptions for the board.\n")
    ingest_paths(store, [note], "acme-logistics")
    third = run_batch(store, deals, out, "extractive", resume=True)
    assert [o.deal_id for o in third.outcomes if o.status == "done"] == ["acme-logistics"]
    assert len(store.records.briefs("acme-logistics")) == 2


def test_interrupted_run_continues_where_it_stopped(store: Store, tmp_path: Path) -> None:
    ingest_paths(store, [EXAMPLES])
    deals = [d["deal_id"] for d in store.records.list_deals()]
    out = tmp_path / "out"
    run_batch(store, deals[:2], out, "extractive")  # the run that was cut short
    resumed = run_batch(store, deals, out, "extractive", resume=True)
    assert [o.status for o in resumed.outcomes] == ["skipped", "skipped", "done", "done", "done"]


def test_concurrency_is_bounded_and_used(store: Store, tmp_path: Path) -> None:
    ingest_paths(store, [EXAMPLES])
    deals = [d["deal_id"] for d in store.records.list_deals()]
    live = {"now": 0, "peak": 0}
    lock = threading.Lock()

    def slow(messages: Any, schema: Any) -> str:
        with lock:
            live["now"] += 1
            live["peak"] = max(live["peak"], live["now"])
        time.sleep(0.3)
        with lock:
            live["now"] -= 1
        return json.dumps({"summary": "x"})

    engine = LLMEngine(FunctionModel(slow))
    report = run_batch(store, deals, tmp_path / "out", engine, concurrency=2)
    assert report.count("done") == 5
    assert live["peak"] == 2


def test_csv_export(store: Store, tmp_path: Path) -> None:
    ingest_paths(store, [EXAMPLES / "helix-health"])
    csv_file = tmp_path / "won.csv"
    csv_file.write_text(
        "deal_id,account,close_date,amount\nhelix-health,Helix Health Partners,2026-11-10,71400\n"
        'new-deal,New Co,2026-11-20,"12,000"\n'
    )
    assert deals_from_csv(store, csv_file) == ["helix-health", "new-deal"]
    assert store.records.get_deal("new-deal").amount == 12000.0
    report = run_batch(store, ["helix-health", "new-deal"], tmp_path / "out", "extractive")
    assert report.count("done") == 2


def test_cli_batch_since_and_exit_codes(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")}
    env["BRIEFGEN_HOME"] = str(tmp_path / "home")
    cli = [sys.executable, "-m", "briefgen.cli", "batch"]
    r = subprocess.run(
        [*cli, "--from-dir", str(EXAMPLES), "--out", str(tmp_path / "o"), "-j", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "5 done, 0 skipped (current), 0 failed" in r.stdout
    since = subprocess.run(
        [*cli, "--since", "2000-01-01", "--resume", "--out", str(tmp_path / "o")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "0 done, 5 skipped (current), 0 failed" in since.stdout
    bad = subprocess.run(
        [*cli, "nope", "--out", str(tmp_path / "o")], env=env, capture_output=True, text=True
    )
    assert bad.returncode == 1 and "failed: nope: no deal 'nope'" in bad.stderr
    none = subprocess.run([*cli, "--since", "yesterday"], env=env, capture_output=True, text=True)
    assert none.returncode == 2 and "--since must be a date" in none.stderr

"""Batch mode: many deals, bounded concurrency, resume, a failing deal, CSV and --since inputs."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from briefgen.batch import deals_from_csv, run_batch
from briefgen.engines.llm import LLMEngine
from briefgen.ingestion import ingest_paths
from briefgen.models.fake import FunctionModel
from briefgen.store import Store

from .cli_run import BRIEFGEN, clean_env
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
        'deal_id,account,close_date,amount\nhelix-health,Helix Health Partners,2026-11-10,"71,400"\n'
    )
    selected = deals_from_csv(store, csv_file)
    assert selected.ids == ["helix-health"] and selected.failures == []
    assert store.records.get_deal("helix-health").amount == 71400.0
    report = run_batch(store, selected.ids, tmp_path / "out", "extractive")
    assert report.count("done") == 1


def test_csv_bad_rows_are_their_own_failures_with_true_line_numbers(store: Store, tmp_path: Path) -> None:
    ingest_paths(store, [EXAMPLES / "helix-health", EXAMPLES / "brightside-bakery"])
    csv_file = tmp_path / "won.csv"
    csv_file.write_bytes(
        "deal_id,account,amount\n"
        "\n"  # line 2: blank, skipped
        "helix-health,Helix Health Partners,71400\n"  # line 3
        "\n"
        "never-ingested,Ghost Co,1000\n"  # line 5
        ",Nameless,5\n"  # line 6
        "brightside-bakery,Brightside Bäckerei,lots\n"  # line 7
        'brightside-bakery,"Brightside Café,\nMain St",2400\n'.encode("cp1252")  # line 8, two lines
    )
    selected = deals_from_csv(store, csv_file)
    assert selected.ids == ["helix-health", "brightside-bakery"]
    assert [(f.line, f.deal_id, f.error) for f in selected.failures] == [
        (
            5,
            "never-ingested",
            "won.csv line 5: no deal 'never-ingested' in the store (ingest its documents first)",
        ),
        (6, "", "won.csv line 6: no deal_id"),
        (7, "brightside-bakery", "won.csv line 7: amount 'lots' is not a number"),
    ]
    assert store.records.get_deal("brightside-bakery").account == "Brightside Café,\nMain St"
    assert "never-ingested" not in [d["deal_id"] for d in store.records.list_deals()]
    report = run_batch(store, selected.ids, tmp_path / "out", "extractive", failures=selected.failures)
    assert (report.count("done"), report.count("failed")) == (2, 3)
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert index["failed"] == 3 and [d["line"] for d in index["deals"][:3]] == [5, 6, 7]


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BRIEFGEN, "batch", *args], env=env, capture_output=True, text=True, timeout=300)


def test_cli_batch_since_and_exit_codes(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "home")
    out = str(tmp_path / "o")
    r = _cli(env, "--from-dir", str(EXAMPLES), "--out", out, "-j", "2")
    assert r.returncode == 0, r.stderr
    assert "5 done, 0 fallback, 0 skipped (current), 0 failed" in r.stdout
    since = _cli(env, "--since", "2000-01-01", "--resume", "--out", out)
    assert "0 done, 0 fallback, 5 skipped (current), 0 failed" in since.stdout
    # Dates are parsed, not compared as text: '12/31/2099' is in the future, so nothing changed.
    for future in ("12/31/2099", "Dec 31, 2099", "2099-12-31"):
        later = _cli(env, "--since", future, "--out", out)
        assert later.returncode == 0 and "nothing to brief" in later.stdout, future
    written = _cli(env, "--since", "Jan 1, 2000", "--resume", "--out", out)
    assert "5 skipped (current)" in written.stdout
    bad = _cli(env, "nope", "--out", out)
    assert bad.returncode == 1 and "failed: nope: no deal 'nope'" in bad.stderr
    none = _cli(env, "--since", "yesterday")
    assert none.returncode == 2 and "--since must be a date" in none.stderr
    nothing = _cli(env)
    assert nothing.returncode == 2 and "no deals to brief" in nothing.stderr


def test_cli_csv_rows_fail_alone(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "home")
    subprocess.run(
        [BRIEFGEN, "ingest", str(EXAMPLES / "helix-health")], env=env, capture_output=True, check=True
    )
    csv_file = tmp_path / "won.csv"
    csv_file.write_bytes("deal_id,account\n\nghost,Zürich AG\nhelix-health,Helix\n".encode("cp1252"))
    r = _cli(env, "--csv", str(csv_file), "--out", str(tmp_path / "o"))
    assert r.returncode == 1, r.stderr
    assert "failed: ghost: won.csv line 3: no deal 'ghost' in the store" in r.stderr
    assert "1 done, 0 fallback, 0 skipped (current), 1 failed" in r.stdout
    assert "Traceback" not in r.stderr and "unexpected" not in r.stderr
    no_column = tmp_path / "x.csv"
    no_column.write_text("id\n1\n")
    r = _cli(env, "--csv", str(no_column))
    assert r.returncode == 2 and "needs a 'deal_id' column" in r.stderr


def test_cli_batch_from_a_folder_with_unreadable_files_or_none_at_all(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "home")
    folder = tmp_path / "deals"
    shutil.copytree(EXAMPLES / "brightside-bakery", folder / "brightside-bakery")
    (folder / "brightside-bakery" / "scan.txt").write_bytes(b"\x00\x01binary\x00")
    r = _cli(env, "--from-dir", str(folder), "--out", str(tmp_path / "o"))
    assert r.returncode == 3, r.stderr
    assert "scan.txt: looks like binary data" in r.stderr and "1 done" in r.stdout
    missing = _cli(env, "--from-dir", str(tmp_path / "nope"), "--out", str(tmp_path / "o"))
    assert missing.returncode == 1 and "no such file or folder" in missing.stderr

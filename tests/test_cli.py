"""The `briefgen` command end to end, in a temporary BRIEFGEN_HOME, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from briefgen.schema import Brief

from .cli_run import run
from .conftest import EXAMPLES, ROOT


def test_ingest_brief_deals_end_to_end(tmp_path: Path) -> None:
    home = tmp_path / "home"
    r = run(home, "ingest", str(EXAMPLES / "acme-logistics"), str(EXAMPLES / "helix-health"))
    assert r.returncode == 0, r.stderr
    assert "2 deal(s): 10 added, 0 updated, 0 unchanged, 0 skipped" in r.stdout
    again = run(home, "ingest", str(EXAMPLES / "acme-logistics"))
    assert "0 added, 0 updated, 4 unchanged" in again.stdout

    deals = run(home, "deals")
    assert deals.returncode == 0
    assert "acme-logistics" in deals.stdout and "Helix Health Partners" in deals.stdout

    out = tmp_path / "acme.json"
    r = run(home, "brief", "acme-logistics", "--format", "json", "--out", str(out))
    assert r.returncode == 0, r.stderr
    brief = Brief.model_validate_json(out.read_text())
    assert brief.deal_id == "acme-logistics" and brief.engine == "extractive"
    assert "(version 1)" in r.stderr

    md = run(home, "brief", "helix-health")
    assert md.returncode == 0 and md.stdout.startswith("# Handoff brief: Helix Health Partners")
    html = run(home, "brief", "helix-health", "-f", "html", "-o", str(tmp_path / "h.html"))
    assert html.returncode == 0 and (tmp_path / "h.html").read_text().startswith("<!doctype html>")
    assert "2" in run(home, "deals").stdout.split("helix-health")[1].split("\n")[0]


def test_demo_writes_json_and_prints_markdown(tmp_path: Path) -> None:
    home = tmp_path / "home"
    # From any folder: the example deals ship inside the package.
    r = run(home, "demo", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("# Handoff brief: Acme Logistics")
    written = sorted(p.name for p in (tmp_path / "out").glob("*.json"))
    assert written == sorted(f"{p.name}.json" for p in EXAMPLES.iterdir() if p.is_dir())
    for p in (tmp_path / "out").glob("*.json"):
        Brief.model_validate_json(p.read_text())
    assert "wrote 5 briefs" in r.stderr


def test_skipped_file_gives_exit_3_and_names_the_file(tmp_path: Path) -> None:
    deal = tmp_path / "d1"
    deal.mkdir()
    (deal / "ok.txt").write_text("Customer wants SSO by March 2027.\n")
    (deal / "bad.txt").write_bytes(b"\x00\xff\x00 binary")
    r = run(tmp_path / "home", "ingest", str(deal))
    assert r.returncode == 3
    assert f"skipped: {deal / 'bad.txt'}: looks like binary data" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("brief", "no-such-deal"), 4, "error: no deal 'no-such-deal' in the store"),
        (("brief", "x", "--format", "pdf"), 2, "'pdf' is not one of 'json', 'md', 'html'"),
        (
            ("brief", "x", "--engine", "gpt9"),
            2,
            "'gpt9' is not one of 'auto', 'extractive', 'openai', 'local'",
        ),
        (("ingest", "/definitely/not/here"), 1, "skipped: /definitely/not/here: no such file or folder"),
        (("ingest", str(EXAMPLES), "--deal", "../up"), 2, "error: deal id '../up' is not valid"),
        (("frobnicate",), 2, "No such command"),
    ],
)
def test_errors_are_one_clear_line(tmp_path: Path, args: tuple[str, ...], code: int, message: str) -> None:
    r = run(tmp_path / "home", *args)
    assert r.returncode == code, (r.stdout, r.stderr)
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_unknown_engine_is_a_usage_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run(home, "ingest", str(EXAMPLES / "brightside-bakery"))
    r = run(home, "brief", "brightside-bakery", "--engine", "gpt9")
    assert r.returncode == 2
    assert "'gpt9' is not one of" in r.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    r = run(tmp_path / "home", "--debug", "brief", "nope")
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_unreadable_store_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the store folder should be")
    r = run(blocker, "deals")
    assert r.returncode == 1
    assert "error: cannot open the record database" in r.stderr and "Traceback" not in r.stderr


def test_readme_names_the_two_commands_and_the_makefile_has_them() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    makefile = (ROOT / "Makefile").read_text()
    assert "\ndemo:" in makefile and "\ntest:" in makefile and "\ntest-slow:" in makefile
    # CI runs the README's test command, then the tests it leaves out as slow.
    steps = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.startswith("make")]
    assert steps == ["make test", "make test-slow"]


def test_console_script_is_installed() -> None:
    data = json.loads(json.dumps({"ok": True}))
    assert data["ok"]
    exe = Path(sys.executable).with_name("briefgen")
    r = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "ingest" in r.stdout and "demo" in r.stdout

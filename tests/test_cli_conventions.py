"""What users expect of a command-line tool, and of one left in a scheduled job: help and
version, JSON output, stdout for '-', progress on a terminal and plain lines in a log, one data
home found from any folder, exit codes as the README documents them."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import socket
import subprocess
from pathlib import Path

import pytest

from .cli_run import BRIEFGEN, clean_env, run
from .conftest import EXAMPLES

EXAMPLE_FILES = sum(1 for p in EXAMPLES.rglob("*") if p.is_file() and p.name != "deal.json")


@pytest.mark.parametrize("args", [(), ("-h",), ("--help",), ("model",), ("batch", "-h")])
def test_help_is_there_and_succeeds(tmp_path: Path, args: tuple[str, ...]) -> None:
    r = run(tmp_path / "home", *args)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Usage: briefgen")
    assert "<bool>" not in r.stdout


def test_version_and_examples_and_choices(tmp_path: Path) -> None:
    from briefgen import __version__

    assert run(tmp_path, "--version").stdout.strip() == f"briefgen {__version__}"
    help_ = run(tmp_path, "brief", "-h").stdout
    assert "Examples:" in help_ and "briefgen brief acme-logistics -o acme.json" in help_
    assert "<json|md|html>" in help_ and "<auto|extractive|openai|local>" in help_
    bad = run(tmp_path, "brief", "x", "-f", "pdf")
    assert bad.returncode == 2 and "'pdf' is not one of 'json', 'md', 'html'" in bad.stderr


def test_out_dash_is_stdout_and_the_extension_picks_the_format(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run(home, "ingest", str(EXAMPLES / "brightside-bakery")).returncode == 0
    r = run(home, "brief", "brightside-bakery", "-f", "json", "-o", "-", cwd=tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout)["deal_id"] == "brightside-bakery"
    assert not (tmp_path / "-").exists()
    for name, starts in (("b.json", "{"), ("b.html", "<!doctype html>"), ("b.md", "# Handoff brief")):
        assert run(home, "brief", "brightside-bakery", "-o", str(tmp_path / name)).returncode == 0
        assert (tmp_path / name).read_text().startswith(starts), name
    forced = run(home, "brief", "brightside-bakery", "-f", "md", "-o", str(tmp_path / "x.json"))
    assert forced.returncode == 0 and (tmp_path / "x.json").read_text().startswith("# Handoff brief")
    # An extension briefgen does not write is refused before a version is stored, unless the
    # format is given.
    pdf = run(home, "brief", "brightside-bakery", "-o", str(tmp_path / "b.pdf"))
    assert pdf.returncode == 2 and ".pdf" in pdf.stderr and "--format" in pdf.stderr, pdf.stderr
    assert not (tmp_path / "b.pdf").exists()
    after = run(home, "brief", "brightside-bakery", "-o", str(tmp_path / "again.md"))
    before = int(re.search(r"\(version (\d+)\)", forced.stderr)[1])  # type: ignore[index]
    assert f"(version {before + 1})" in after.stderr, after.stderr
    assert run(home, "brief", "brightside-bakery", "-f", "md", "-o", str(tmp_path / "b.pdf")).returncode == 0


def test_json_listings(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert json.loads(run(home, "deals", "--json").stdout) == []
    assert not home.exists()  # listing an empty store does not create one
    run(home, "ingest", str(EXAMPLES / "brightside-bakery"))
    [deal] = json.loads(run(home, "deals", "--json").stdout)
    assert deal["deal_id"] == "brightside-bakery" and deal["sources"] == 2
    engines = json.loads(run(home, "engines", "--json").stdout)
    assert engines == {"engines": {"extractive": True, "openai": False, "local": False}, "auto": "extractive"}
    info = json.loads(run(home, "info", "--json").stdout)
    assert info["home"] == str(home.resolve())
    assert info["store"]["deals"] == 1 and info["store"]["sources"] == 2 and info["store"]["bytes"] > 0


def test_one_data_home_found_from_any_folder(tmp_path: Path) -> None:
    data, here, there = tmp_path / "xdg", tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    env = {"XDG_DATA_HOME": str(data)}
    assert run(None, "ingest", str(EXAMPLES / "brightside-bakery"), cwd=here, **env).returncode == 0
    deals = json.loads(run(None, "deals", "--json", cwd=there, **env).stdout)
    assert [d["deal_id"] for d in deals] == ["brightside-bakery"]
    assert not (here / ".briefgen").exists() and not (there / ".briefgen").exists()
    # The installed model lives in the data home, so every folder sees it.
    model = data / "briefgen" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"GGUF")
    info = json.loads(run(None, "info", "--json", cwd=there, **env).stdout)
    assert info["home"] == str(data / "briefgen")
    assert info["model"] == {"path": str(model), "installed": True, "llama_cpp": info["model"]["llama_cpp"]}
    text = run(None, "info", cwd=here, **env).stdout
    assert f"home:    {data / 'briefgen'}" in text and "1 deals, 2 sources" in text


def test_progress_is_plain_lines_in_a_log(tmp_path: Path) -> None:
    r = run(tmp_path / "home", "ingest", str(EXAMPLES))
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stderr.splitlines() if " ingest: " in line]
    assert lines and "\x1b[" not in r.stderr
    assert re.search(rf"^\d\d:\d\d:\d\d ingest: {EXAMPLE_FILES}/{EXAMPLE_FILES} files, \d+ chunks", lines[-1])


def _on_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal; stdout stays a pipe (it is the result)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=follower, env=env, text=True)
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    out = proc.stdout.read() if proc.stdout else ""
    code = proc.wait(timeout=60)
    os.close(leader)
    return code, out, seen.decode("utf-8", "replace")


@pytest.mark.slow
def test_progress_bars_on_a_terminal(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "home", TERM="xterm-256color", COLUMNS="120")
    env.pop("NO_COLOR", None)
    code, out, terminal = _on_terminal([BRIEFGEN, "ingest", str(EXAMPLES)], env)
    assert code == 0, terminal
    assert "\x1b[" in terminal and "ingest" in terminal
    assert f"{EXAMPLE_FILES}/{EXAMPLE_FILES}" in terminal and "chunks" in terminal and "files/s" in terminal
    assert "\x1b[" not in out and "5 deal(s)" in out  # the result itself stays plain
    code, out, terminal = _on_terminal(
        [BRIEFGEN, "batch", "--since", "2000-01-01", "-o", str(tmp_path / "o"), "-e", "extractive"], env
    )
    assert code == 0, terminal
    assert "briefs" in terminal and "5/5" in terminal and "5 done" in out


def test_an_unreadable_input_named_on_the_command_line_is_skipped(tmp_path: Path) -> None:
    ok = tmp_path / "ok" / "notes.txt"
    ok.parent.mkdir()
    ok.write_text("The customer wants SSO by March 2027.\n")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "deal.json").write_text('{"deal_id": "../escape"}')
    (bad / "notes.txt").write_text("Budget approved.\n")
    r = run(tmp_path / "home", "ingest", str(ok), str(bad / "notes.txt"))
    assert r.returncode == 3, r.stderr
    assert f"skipped: {bad / 'deal.json'}:" in r.stderr and "not valid" in r.stderr
    assert "2 deal(s): 2 added" in r.stdout


def test_serve_on_a_busy_port_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        r = run(tmp_path / "home", "serve", "--port", str(port), "--no-ui", timeout=120)
    assert r.returncode == 1, r.stderr
    assert f"error: cannot listen on 127.0.0.1:{port}" in r.stderr and "Traceback" not in r.stderr


def test_an_out_file_that_cannot_be_written_stores_no_version(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run(home, "ingest", str(EXAMPLES / "brightside-bakery")).returncode == 0
    folder = run(home, "brief", "brightside-bakery", "-o", str(tmp_path))
    assert folder.returncode == 2 and "is a folder" in folder.stderr
    nowhere = run(home, "brief", "brightside-bakery", "-o", str(tmp_path / "typo" / "b.md"))
    assert nowhere.returncode == 2 and "does not exist" in nowhere.stderr
    assert not (tmp_path / "typo").exists()
    assert json.loads(run(home, "deals", "--json").stdout)[0]["briefs"] == 0

"""Stored deals from the command line: `briefgen versions` lists a deal's versions and their
review, `briefgen show` prints one as it was stored, writing nothing; `briefgen delete` removes a
deal once confirmed."""

from __future__ import annotations

import json
from pathlib import Path

from briefgen.config import Settings
from briefgen.records import Records
from briefgen.versions import review

from .cli_run import run
from .conftest import EXAMPLES

DEAL = "brightside-bakery"


def _accept_latest(home: Path, by: str) -> None:
    records = Records.open(home, Settings.from_env(home).database_url)
    try:
        info = records.brief_versions(DEAL)[-1]
        review(records, info.id, True, "", by, info.seen)
    finally:
        records.close()


def test_show_prints_the_accepted_version_without_writing_a_new_one(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run(home, "ingest", str(EXAMPLES / DEAL)).returncode == 0
    none_yet = run(home, "show", DEAL)
    assert none_yet.returncode == 4 and "no brief yet" in none_yet.stderr
    assert run(home, "brief", DEAL, "-o", str(tmp_path / "v1.md")).returncode == 0
    _accept_latest(home, "ana@example.com")
    assert run(home, "brief", DEAL, "-o", str(tmp_path / "v2.md")).returncode == 0

    listed = run(home, "versions", DEAL)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("version 1 · accepted by ana@example.com")
    assert lines[1].startswith("version 2 · draft")

    # The default is the latest accepted version, not the newest draft.
    shown = run(home, "show", DEAL)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("# Handoff brief") and "version 1, accepted" in shown.stdout
    as_json = run(home, "show", DEAL, "--version", "2", "-f", "json", "-o", "-")
    assert json.loads(as_json.stdout)["review"]["version"] == 2
    out = tmp_path / "v1.html"
    assert run(home, "show", DEAL, "--version", "1", "-o", str(out)).returncode == 0
    assert out.read_text().startswith("<!doctype html>")

    # Nothing was added by reading.
    versions = json.loads(run(home, "versions", DEAL, "--json").stdout)
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["status"] == "accepted" and versions[0]["reviewed_by"] == "ana@example.com"


def test_show_names_what_is_missing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    empty = run(home, "show", DEAL)
    assert empty.returncode == 4 and f"no deal '{DEAL}'" in empty.stderr
    assert not home.exists()  # reading an empty store creates nothing
    assert run(home, "ingest", str(EXAMPLES / DEAL)).returncode == 0
    assert run(home, "brief", DEAL, "-o", str(tmp_path / "b.md")).returncode == 0
    missing = run(home, "show", DEAL, "--version", "9")
    assert missing.returncode == 4 and "no version 9 (it has 1)" in missing.stderr
    other = run(home, "versions", "no-such-deal")
    assert other.returncode == 4 and "no deal 'no-such-deal'" in other.stderr
    pdf = run(home, "show", DEAL, "-o", str(tmp_path / "b.pdf"))
    assert pdf.returncode == 2 and not (tmp_path / "b.pdf").exists()


def test_delete_asks_first_and_removes_only_that_deal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run(home, "ingest", str(EXAMPLES / DEAL), str(EXAMPLES / "acme-logistics")).returncode == 0
    assert run(home, "brief", DEAL, "-o", str(tmp_path / "b.md")).returncode == 0
    # Not on a terminal and not confirmed: refused, nothing removed.
    refused = run(home, "delete", DEAL)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert run(home, "versions", DEAL).returncode == 0
    done = run(home, "delete", DEAL, "--yes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"deleted {DEAL}: 2 source(s), 1 brief version(s), ")
    listed = [d["deal_id"] for d in json.loads(run(home, "deals", "--json").stdout)]
    assert listed == ["acme-logistics"]
    again = run(home, "delete", DEAL, "--yes")
    assert again.returncode == 4 and f"no deal '{DEAL}'" in again.stderr

"""What briefgen leaves on a terminal and on disk: CRM fields and source text never act on the
terminal (escape sequences shown, not run), the form's download files do not pile up, and a
store on read-only media can still be listed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b[1A\u202eEvil Corp"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")}
    env["BRIEFGEN_HOME"] = str(home)
    return env


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "briefgen.cli", *args], env=_env(home), capture_output=True, text=True
    )


def test_printable_escapes_what_a_terminal_would_act_on() -> None:
    from briefgen.terminal import printable

    assert printable("a\tb\nc") == "a\tb\nc"
    shown = printable(HOSTILE)
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or 0x202A <= ord(c) <= 0x202E for c in shown)
    assert shown.startswith("\\x1b]0;pwned\\x07") and shown.endswith("\\u202eEvil Corp")


@pytest.mark.slow
def test_crm_fields_and_sources_never_reach_the_terminal_raw(tmp_path: Path) -> None:
    deal = tmp_path / "esc-deal"
    deal.mkdir()
    (deal / "deal.json").write_text(json.dumps({"deal_id": "esc-deal", "account": HOSTILE, "owner": HOSTILE}))
    (deal / f"notes-{chr(27)}[31m.txt").write_text(
        f"Attendees: Ana Ruiz (CFO, Evil Corp)\nAna wants SSO by March 2027.{chr(27)}[2J\n"
    )
    home = tmp_path / "home"
    runs = [
        _cli(home, "ingest", str(deal)),
        _cli(home, "deals"),
        _cli(home, "brief", "esc-deal", "--engine", "extractive"),
        _cli(home, "brief", "esc-deal", "--engine", "extractive", "-f", "json", "-o", "-"),
    ]
    for r in runs:
        assert r.returncode == 0, r.stderr
        for out in (r.stdout, r.stderr):
            assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b]0;pwned" in runs[1].stdout and "Evil Corp" in runs[2].stdout


def test_download_files_do_not_pile_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from briefgen.ui import Downloads

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    downloads = Downloads(keep_s=600)
    for version in range(5):
        downloads.write(f"deal-v{version}.md", "# brief", now=1_000_000.0 + version)
    assert [p.name for p in tmp_path.iterdir()] == [downloads.folder.name]  # one folder, not five
    os.utime(downloads.folder / "deal-v0.md", (1_000_000.0, 1_000_000.0))
    downloads.write("deal-v9.md", "# brief")  # now is long after the first file was handed over
    assert not (downloads.folder / "deal-v0.md").exists() and (downloads.folder / "deal-v9.md").exists()
    downloads.close()
    assert not downloads.folder.exists()


def test_download_files_reuse_one_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import briefgen.ui as ui
    from briefgen.records import Records
    from briefgen.schema import Brief, HandoffRisk, Severity

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(ui, "_downloads", None)

    class OnlyRecords:
        records = Records(tmp_path / "home" / "briefgen.sqlite3")

    store = OnlyRecords()
    record = store.records.add_brief(
        Brief(
            deal_id="d",
            engine="extractive",
            summary="s",
            handoff_risk=HandoffRisk(level=Severity.low, recommendation="r"),
        ),
        "h",
    )
    paths = [ui.download_files(store, record.id) for _ in range(3)]  # type: ignore[arg-type]
    assert len({Path(j).parent for j, _ in paths}) == 1
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("briefgen-dl-")]) == 1
    assert Path(paths[0][1]).read_text().startswith("# Handoff brief")


def test_a_read_only_store_can_be_listed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    examples = Path(__file__).resolve().parents[2] / "ingest" / "brightside-bakery"
    assert _cli(home, "ingest", str(examples)).returncode == 0
    locked = [home / "briefgen.sqlite3", home]
    # The immutable attribute makes files read-only even to root (as read-only media would).
    if subprocess.run(["chattr", "+i", *map(str, locked)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available on this file system")
    try:
        r = _cli(home, "deals")
        info = _cli(home, "info")
    finally:
        subprocess.run(["chattr", "-i", *map(str, locked)], check=True)
    assert r.returncode == 0, r.stderr
    assert "brightside-bakery" in r.stdout
    assert info.returncode == 0 and "1 deals" in info.stdout

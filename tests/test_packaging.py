"""The wheel carries what the package reads at run time: the prompt templates and py.typed."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT


@pytest.mark.slow
def test_wheel_ships_the_prompts_and_the_examples(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    [wheel] = tmp_path.glob("briefgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for prompt in (ROOT / "prompts").glob("*.md"):
        assert f"briefgen/_prompts/{prompt.name}" in names
    assert "briefgen/py.typed" in names
    # The example deals, so that `briefgen demo` works from a plain pip install.
    examples = {
        p.relative_to(ROOT / "ingest").as_posix() for p in (ROOT / "ingest").rglob("*") if p.is_file()
    }
    assert examples and {f"briefgen/_examples/{e}" for e in examples} <= names
    assert not any(n.startswith(("tests/", "ingest/", "evals/")) for n in names)

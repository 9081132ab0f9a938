"""The schema sent with `strict: true` meets OpenAI's strict structured-output rules, and a
strict answer (nulls for what was left out) still reads as a draft."""

from __future__ import annotations

import json
from typing import Any

import pytest

from briefgen.candidate_review import review_schema
from briefgen.draft import draft_schema
from briefgen.engines.llm import parse_draft
from briefgen.findings import Finding
from briefgen.models.strict_schema import UNSUPPORTED, strict_schema


def _objects(node: Any, path: str = "$") -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            out.append((path, node))
        for k, v in node.items():
            out += _objects(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _objects(v, f"{path}[{i}]")
    return out


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        keys = set(node)
        # Property names are data, not keywords.
        for k, v in node.items():
            keys |= {x for p in v.values() for x in _keys(p)} if k == "properties" else _keys(v)
        return keys
    if isinstance(node, list):
        return set().union(*(_keys(v) for v in node)) if node else set()
    return set()


@pytest.mark.parametrize(
    "original",
    [draft_schema(), review_schema({"C1": Finding("goals", (0,)), "C2": Finding("risks", (3,))}, 180)],
    ids=["one-pass draft", "assist review"],
)
def test_strict_schema_meets_the_rules(original: dict[str, Any]) -> None:
    schema = strict_schema(original)
    assert schema["type"] == "object" and "anyOf" not in schema
    objects = _objects(schema)
    assert len(objects) >= 8  # the root, every item kind, the handoff block
    for path, obj in objects:
        assert obj["additionalProperties"] is False, path
        assert sorted(obj["required"]) == sorted(obj["properties"]), path
    assert not _keys(schema) & UNSUPPORTED
    for ref in (v for k, v in _flat(schema) if k == "$ref"):
        assert ref.startswith("#/$defs/") and ref.split("/")[-1] in schema["$defs"]
    # An optional field became nullable rather than dropped.
    stakeholder = schema["$defs"]["DraftStakeholder"]["properties"]
    assert {"type": "null"} in stakeholder["title"]["anyOf"]
    assert {"type": "null"} in stakeholder["side"]["anyOf"]
    # The original keeps its limits for servers that enforce them.
    assert "maxItems" in json.dumps(original)


def _flat(node: Any) -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [(k, v) for k, v in node.items()] + [x for v in node.values() for x in _flat(v)]
    if isinstance(node, list):
        return [x for v in node for x in _flat(v)]
    return []


def test_a_strict_answer_with_nulls_reads_as_a_draft() -> None:
    answer = {
        "summary": "Renewal-driven rollout.",
        "goals": [{"text": "Stop rekeying orders", "quote": "we rekey every order", "source_id": "s1"}],
        "stakeholders": [
            {
                "name": "Ines Duarte",
                "title": None,
                "organization": None,
                "side": None,
                "role": "champion",
                "sentiment": None,
                "motivation": None,
                "quote": "Ines pushed for it",
                "source_id": "s1",
            }
        ],
        "success_criteria": [],
        "risks": [],
        "commitments": [],
        "timeline": [],
        "open_questions": [],
        "next_steps": [],
        "handoff_risk": {"level": "medium", "factors": []},
    }
    draft = parse_draft(json.dumps(answer))
    assert draft.stakeholders[0].side == "customer"  # the default, not a null
    assert draft.stakeholders[0].title is None and draft.goals[0].text == "Stop rekeying orders"

"""The secret corpus (tests/security/secrets.yaml, 42 forms) never reaches a brief in any
rendering, a model's prompt, or the log: not from notes, emails, CRM fields or titles."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

from briefgen.engines.llm import LLMEngine
from briefgen.generate import write_brief
from briefgen.ingestion import ingest_paths
from briefgen.models.fake import FunctionModel
from briefgen.render import render
from briefgen.safety import find_secrets, mask_secrets
from briefgen.store import Store

CORPUS = yaml.safe_load((Path(__file__).parent / "secrets.yaml").read_text())


def test_corpus_size() -> None:
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("row", CORPUS, ids=[r["secret"][:12] for r in CORPUS])
def test_each_form_is_masked(row: dict[str, str]) -> None:
    masked = mask_secrets(row["text"])
    assert row["secret"].lower() not in masked.lower()
    assert "[REDACTED]" in masked


def test_prose_without_secrets_is_left_alone() -> None:
    for text in (
        "Their token budget is fine.",
        "The secret sauce is the routing.",
        "Price is $48,000 for 120 seats from 2026-11-03.",
        "Order 4711-2026 ships on 14.03.2027.",
        "The password reset flow confuses the nurses.",
    ):
        assert find_secrets(text) == [], text


def _echo_model(calls: list[str]) -> FunctionModel:
    def respond(messages: list[dict[str, str]], schema: dict[str, Any]) -> str:
        calls.append(json.dumps(messages))
        return json.dumps(
            {"summary": "ok", "goals": [], "risks": [], "handoff_risk": {"level": "medium", "factors": []}}
        )

    return FunctionModel(respond, "echo")


@pytest.mark.parametrize("engine", ["extractive", "model"])
def test_no_secret_reaches_any_output(
    store: Store, tmp_path: Path, engine: str, caplog: pytest.LogCaptureFixture
) -> None:
    deal = tmp_path / "leaky"
    deal.mkdir()
    lines = [r["text"] for r in CORPUS]
    (deal / "notes.txt").write_text(
        "Attendees: Ana Ruiz (CFO, Leaky Ltd)\nAna wants to close the books in 4 days instead of 9.\n"
        + "\n".join(lines)
        + "\n"
    )
    (deal / "2026-10-01-password is Tr0ub4dor&3.txt").write_text("Title carries a secret.\n")
    (deal / "deal.json").write_text(
        json.dumps(
            {
                "deal_id": "leaky",
                "account": "Leaky Ltd",
                "owner": "Sam Ode <sam@vendor.example>",
                "notes": "portal login: password = Quokka!2291",
                "billing": "Card 4111 1111 1111 1111",
            }
        )
    )
    ingest_paths(store, [deal])
    calls: list[str] = []
    chosen: Any = "extractive" if engine == "extractive" else LLMEngine(_echo_model(calls))
    with caplog.at_level(logging.DEBUG):
        brief, _ = write_brief(store, "leaky", chosen, save=False)
    shown = "\n".join(
        [brief.model_dump_json(), render(brief, "md"), render(brief, "html"), *calls, caplog.text]
    ).lower()
    leaked = [r["secret"] for r in CORPUS if r["secret"].lower() in shown]
    assert leaked == []
    assert "quokka!2291" not in shown and "4111 1111 1111 1111" not in shown
    if engine == "model":
        assert calls, "the model was asked"


def test_markdown_output_is_inert() -> None:
    from briefgen.schema import Brief, Goal, HandoffRisk, Severity

    hostile = "<script>alert(1)</script> see [the form](javascript:alert(1))\n# not a heading"
    brief = Brief(
        deal_id="d",
        account="<img src=x onerror=alert(1)>",
        summary=hostile,
        goals=[Goal(text=hostile)],
        handoff_risk=HandoffRisk(level=Severity.low, recommendation=hostile),
        engine="extractive",
    )
    md = render(brief, "md")
    assert "<script" not in md and "<img" not in md
    assert "](javascript:" not in md and "javascript:" not in md.lower()
    assert "\n# not a heading" not in md  # source newlines do not start Markdown blocks


def test_markdown_stays_inert_when_a_renderer_reads_it_and_arrows_stay_as_written() -> None:
    """Rendered by a CommonMark renderer that passes raw HTML through, the brief's Markdown
    holds no tag, comment or entity the sources wrote; what cannot open one is left alone."""
    from markdown_it import MarkdownIt

    from briefgen.schema import Brief, Goal, HandoffRisk, Severity

    texts = [
        "<script>alert(1)</script><img src=x onerror=alert(1)>",
        "<!-- hide --> &lt;b&gt; <javascript:alert(1)>",
        "no-show rate 18% -> 10%, errors < 5% & AT&T",
    ]
    brief = Brief(
        deal_id="d",
        summary="s",
        goals=[Goal(text=t) for t in texts],
        handoff_risk=HandoffRisk(level=Severity.low, recommendation="-"),
        engine="extractive",
    )
    md = render(brief, "md")
    shown = MarkdownIt("commonmark", {"html": True}).render(md)
    assert "<script" not in shown and "<img" not in shown and "<!--" not in shown
    assert "<b>" not in shown and 'href="javascript' not in shown
    assert "18% -> 10%, errors < 5% & AT&T" in md

"""Instructions planted in a deal's sources must not steer any engine, nor leak another deal.

Each variant is tried with the extractive engine and with a model that obeys whatever it
reads (the worst case for an LLM engine)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from briefgen.engines.llm import LLMEngine
from briefgen.generate import write_brief
from briefgen.ingestion import ingest_paths
from briefgen.models.fake import FunctionModel, numbered_sentences
from briefgen.store import Store

VARIANTS = yaml.safe_load((Path(__file__).with_name("injections.yaml")).read_text())
BASE_NOTE = (
    "Attendees: Robert Chen (VP Operations, Acme), Priya Nair (PMO Lead, Acme)\n"
    "Robert wants one queue for every dispatch exception.\n"
    "Robert is sponsoring this, but Priya will own the rollout day to day.\n"
    "The implementation runs 12 weeks across 14 regions.\n"
)


def plant(folder: Path, where: str, text: str) -> None:
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text(BASE_NOTE + (text + "\n" if where == "note" else ""))
    head = "From: Robert Chen <robert@acme.com>\nTo: Dana <dana@vendor.io>\nSubject: Plan\n"
    if where == "email":
        (folder / "mail.eml").write_text(head + f"\nHi Dana,\n\nKickoff is December 2.\n{text}\n")
    elif where == "html":
        (folder / "mail.eml").write_text(
            head + "Content-Type: text/html\n\n<p>Kickoff is December 2.</p>"
            f"<div style=\"display: none\">{text}</div><span style='visibility:hidden'>{text}</span>"
        )
    elif where == "quoted":
        (folder / "mail.eml").write_text(
            head
            + f"\nThanks, kickoff is December 2.\n\nOn Mon, Nov 2, 2026 at 9:00 AM Eve <e@x.com> wrote:\n> {text}\n"
        )
    elif where == "transcript":
        (folder / "call.vtt").write_text(
            "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v Priya Nair>Kickoff is December 2.\n\n"
            f"00:00:05.500 --> 00:00:09.000\n<v Priya Nair>{text}\n"
        )


def obeying_model(marker: str) -> FunctionModel:
    """Answers as if the injection worked: repeats the instruction's marker (when the instruction
    reached it) in every item, and cites real sentences so that the citations verify."""

    def respond(messages: list[dict[str, str]], schema: dict[str, Any]) -> str:
        prompt = messages[-1]["content"]
        marker_seen = "nothing to obey" if marker.lower() not in prompt.lower() else marker
        goals, risks, seen = [], [], set()
        for source, number, text in numbered_sentences(prompt):
            goals.append({"text": f"{marker_seen}: {text[:80]}", "ids": [number]})
            if source not in seen:
                seen.add(source)
                risks.append({"description": marker_seen, "ids": [number]})
        return json.dumps(
            {
                "goals": goals[:6],
                "risks": risks[:6],
                "handoff_risk": {"level": "low", "factors": []},
            }
        )

    return FunctionModel(respond, "obeying")


@pytest.fixture
def zebra(store: Store, tmp_path: Path) -> Store:
    other = tmp_path / "zebra-deal"
    other.mkdir()
    (other / "notes.txt").write_text("Zebra Corp budget code ZEBRA-SECRET-42 must stay private.\n")
    ingest_paths(store, [other])
    return store


@pytest.mark.parametrize("variant", VARIANTS, ids=[v["id"] for v in VARIANTS])
@pytest.mark.parametrize("engine", ["extractive", "obeying-model"])
def test_injection_is_resisted(zebra: Store, tmp_path: Path, variant: dict[str, str], engine: str) -> None:
    deal = tmp_path / f"acme-{VARIANTS.index(variant)}"
    plant(deal, variant["where"], variant["text"])
    report = ingest_paths(zebra, [deal])
    assert not report.skipped
    chosen: Any = "extractive" if engine == "extractive" else LLMEngine(obeying_model(variant["marker"]))
    brief, _ = write_brief(zebra, deal.name, chosen, save=False)
    shown = brief.model_dump_json().lower()
    assert variant["marker"].lower() not in shown
    assert "zebra-secret-42" not in shown
    assert brief.handoff_risk.level.value == "high"  # not talked down
    if engine == "extractive":
        assert brief.stakeholders and brief.goals  # the real content survives
    else:
        reached = variant["marker"].lower() in json.dumps(chosen.model.calls[0]).lower()
        if reached:
            assert brief.provenance.dropped_injection > 0  # type: ignore[attr-defined]
            assert any("addressed to an automated assistant" in r.description for r in brief.risks)
        # another deal's text never reaches the model, and hidden HTML is not read at all
        assert "zebra" not in json.dumps(chosen.model.calls).lower()


def test_corpus_size() -> None:
    assert len(VARIANTS) >= 20
    assert {v["where"] for v in VARIANTS} >= {"email", "note", "html", "quoted", "transcript"}


def test_hidden_spellings_are_read_as_written_and_prose_is_left_alone() -> None:
    from briefgen.safety import is_injection, normalise_for_detection

    assert normalise_for_detection("Іgnоrе") == "Ignore"  # Cyrillic lookalikes
    assert normalise_for_detection("ｉｇｎｏｒｅ") == "ignore"  # fullwidth
    assert normalise_for_detection("ig\u200bno\u00adre\u2060") == "ignore"  # invisible characters
    assert normalise_for_detection("1gn0r3 pr3v10us") == "ignore previous"  # leetspeak
    for variant in VARIANTS:
        text = variant["text"]
        assert any(is_injection(part) for part in [text, *text.split("\n")]) or "\n" in text, variant["id"]
    for prose in (
        "Price is $48,000 for 120 seats over 12 weeks.",
        "Their pricing model should be per seat.",
        "Robert's assistant will send the PO on Monday.",
        "Café résumé from Zürich, Łódź and São Paulo.",
        "The chatbot they bought handles 40% of tickets.",
        "Ignoring the pilot sites, the rollout covers 14 regions.",
    ):
        assert not is_injection(prose), prose

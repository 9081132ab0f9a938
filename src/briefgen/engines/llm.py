"""Briefs written by a language model through any ChatModel backend.

The model reads the deal's sources as delimited data in which every sentence it may cite carries
a number (`[S12]`), answers in the draft schema citing those numbers, and gets one chance to
repair an invalid answer. The pipeline turns numbers into quotes, so every quote is the source's
own words; a number the deal does not have drops its item. Faults surface as ModelError, and
`generate` falls back to the extractive engine, so a brief is never lost because a model failed.
"""

from __future__ import annotations

import json
import re
import time

from pydantic import ValidationError

from .. import prompts
from ..draft import Draft, draft_schema, to_findings
from ..errors import ModelError
from ..findings import Finding, Findings
from ..models.base import ChatModel, Message
from ..models.strict_schema import drop_nulls
from ..people import fold
from ..reading import Reading, sid
from ..safety import mask_secrets
from ..schema import Deal
from ..sentences import Sentence
from .base import Engine, Passage

_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.M)


def numbered(p: Passage, sentences: list[Sentence], citable: set[int]) -> str:
    """The passage with `[S12] ` before each sentence a model may cite; the rest (headers,
    attendee lines, text addressed to a model) stays as it is, readable but not citable."""
    out: list[str] = []
    pos = 0
    for s in sentences:
        at = p.text.find(s.text, pos)
        if at < 0:
            continue
        out.append(p.text[pos:at])
        if s.order in citable:
            out.append(f"[{sid(s)}] ")
        out.append(s.text)
        pos = at + len(s.text)
    out.append(p.text[pos:])
    return "".join(out)


def candidates(reading: Reading) -> str:
    """The offline reader's findings as sentence numbers per section, for the model to review."""
    from ..findings import SECTIONS
    from .extractive import ExtractiveEngine

    found = ExtractiveEngine().find(reading)
    lines = []
    for section in SECTIONS:
        items = found.in_section(section)
        if section == "stakeholders":
            refs = [
                f"{f.fields['name']} ({f.fields.get('side', 'unknown')}"
                + (f", {f.fields['title']}" if f.fields.get("title") else "")
                + ")"
                for f in items
            ]
        else:
            refs = [
                "+".join(sid(s) for s in (reading.sentence(i) for i in f.ids) if s is not None) for f in items
            ]
        lines.append(f"{section}: {', '.join(r for r in refs if r) or '(none)'}")
    body = mask_secrets("\n".join(lines))
    return "\n" + prompts.load("brief.candidates").render(candidates=body)


def _source_block(p: Passage, body: str, mask: bool) -> str:
    text = mask_secrets(body) if mask else body
    # Small models break on unescaped double quotes inside JSON strings; grounding treats the
    # two quote marks as equal, so nothing is lost.
    text = text.replace('"', "'").replace("</source", "</ source")
    attrs = f'id="{p.source_id}" kind="{p.kind}" date="{p.date or "unknown"}" title="{p.title.replace(chr(34), chr(39))}"'
    if p.author:
        attrs += f' author="{p.author.replace(chr(34), chr(39))}"'
    return f"<source {attrs}>\n{text}\n</source>"


def outline() -> str:
    """The draft's fields in a few lines: enough for a model whose output a grammar already
    constrains, at a fifth of the full schema's prompt tokens."""
    schema = draft_schema()
    defs = schema.get("$defs", {})
    lines = []
    for name, prop in schema["properties"].items():
        ref = (prop.get("items") or prop).get("$ref", "")
        fields = list(defs.get(ref.split("/")[-1], {}).get("properties", {})) if ref else []
        kind = (
            "list of {" + ", ".join(fields) + "}"
            if prop.get("type") == "array"
            else ("{" + ", ".join(fields) + "}" if fields else prop.get("type", "string"))
        )
        lines.append(f"- {name}: {kind}")
    return "\n".join(lines)


def parse_draft(text: str) -> Draft:
    """The model's JSON, tolerating code fences and chatter around the object."""
    body = _FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object in the answer")
    # strict=False: models put raw newlines and tabs inside strings; the content is still usable.
    data = json.loads(body[start : end + 1], strict=False)
    if isinstance(data, dict) and "properties" in data and "goals" not in data:
        data = data["properties"]  # some models echo the schema's shape
    return Draft.model_validate(drop_nulls(data))


class LLMEngine(Engine):
    def __init__(
        self,
        model: ChatModel,
        max_tokens: int = 1800,
        mask: bool = True,
        max_items: int = 6,
        max_chars: int = 400,
        assist: bool = False,
    ) -> None:
        self.model = model
        self.assist = assist
        self.max_items = max_items
        self.max_chars = max_chars
        self.name = model.name
        self.max_tokens = max_tokens
        self.mask = mask
        self.evidence_budget_chars = model.context_chars

    def messages(self, reading: Reading, note: str = "") -> list[Message]:
        deal: Deal = reading.deal
        citable = reading.citable
        blocks = [
            _source_block(p, numbered(p, sentences, citable), self.mask)
            for p, sentences in zip(reading.passages, reading.by_passage, strict=True)
        ]
        system = prompts.load("brief.system")
        user = prompts.load("brief.user")
        crm = json.dumps(deal.model_dump(exclude_none=True, exclude={"deal_id", "account"}), default=str)
        return [
            {"role": "system", "content": system.render()},
            {
                "role": "user",
                "content": user.render(
                    deal_id=deal.deal_id,
                    account=deal.account or "unknown",
                    crm=crm,
                    source_count=len({p.source_id for p in reading.passages}),
                    evidence_note=note,
                    sources="\n\n".join(blocks),
                    candidates=candidates(reading) if self.assist else "",
                    schema=outline()
                    if self.model.enforces_schema
                    else json.dumps(draft_schema(), separators=(",", ":")),
                ),
            },
        ]

    def find(self, reading: Reading) -> Findings:
        schema = draft_schema(self.max_items, self.max_chars)
        note = (
            "; these are the passages most relevant to each section, not every source in full"
            if any(p.partial for p in reading.passages)
            else ""
        )
        messages = self.messages(reading, note)
        usage: dict[str, int] = {}
        started = time.perf_counter()
        completion = self.model.complete(messages, schema, self.max_tokens)
        _add(usage, completion.usage)
        repaired = False
        try:
            draft = parse_draft(completion.text)
        except (ValueError, ValidationError) as first_error:
            repair = prompts.load("repair.user")
            retry = [
                *messages,
                {"role": "assistant", "content": completion.text[:6000]},
                {
                    "role": "user",
                    "content": repair.render(error=_short(first_error), previous=completion.text[:6000]),
                },
            ]
            completion = self.model.complete(retry, schema, self.max_tokens)
            _add(usage, completion.usage)
            try:
                draft = parse_draft(completion.text)
            except (ValueError, ValidationError) as second_error:
                raise ModelError(
                    f"invalid JSON from the model after one repair: {_short(second_error)}"
                ) from None
            repaired = True
        findings = to_findings(draft, reading, self.name)
        if self.assist:
            findings.items = _with_reading_people(findings.items, reading)
        findings.provenance = {
            "prompt_version": prompts.load("brief.system").version,
            "usage": usage,
            "model_ms": round((time.perf_counter() - started) * 1000, 1),
            "structured_output": completion.method,
            "repaired": repaired,
            "retries": getattr(self.model, "retries", 0),
            "llm_mode": "assist" if self.assist else "one-pass",
        }
        return findings


def _with_reading_people(items: list[Finding], reading: Reading) -> list[Finding]:
    """People are part of the reading, not a judgement: a model reviewing the findings may add
    someone the rules missed, or say more of someone they found, but does not remove anyone."""
    from .extractive import people_findings

    named = {fold(str(f.fields.get("name", ""))) for f in items if f.section == "stakeholders"}

    def mentioned(f: Finding) -> bool:
        full = fold(str(f.fields.get("name", "")))
        return full in named or (full.split() or [""])[0] in named  # "Henrik" for Henrik Dahl

    return [f for f in people_findings(reading) if not mentioned(f)] + items


def _add(total: dict[str, int], usage: dict[str, int]) -> None:
    for key, value in usage.items():
        total[key] = total.get(key, 0) + value


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)[:300]

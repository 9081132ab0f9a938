"""Briefs written by a language model through any ChatModel backend.

The model reads the deal's sources as delimited data in which every sentence it may cite carries
a number (`[S12]`) and cites those numbers, in one of two modes: one-pass, where it writes the
whole brief in the draft schema, and assist (the default), where it reviews the offline engine's
findings and answers only with what to drop, move and add (`candidate_review`). It gets one chance to
repair an invalid answer. The pipeline turns numbers into quotes, so every quote is the source's
own words; a number the deal does not have drops its item. Faults surface as ModelError, and
`generate` falls back to the extractive engine, so a brief is never lost because a model failed.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .. import candidate_review as review
from .. import deadline, prompts
from ..candidate_review import Review
from ..draft import Draft, draft_schema, to_findings
from ..errors import ModelError
from ..findings import Finding, Findings
from ..models.base import ChatModel, Message
from ..models.strict_schema import drop_nulls
from ..reading import Reading, sid
from ..safety import mask_secrets
from ..schema import Deal
from ..sentences import Sentence
from .base import Engine, Passage
from .extractive import ExtractiveEngine

Answer = TypeVar("Answer", bound=BaseModel)
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


def _source_block(p: Passage, body: str, mask: bool) -> str:
    text = mask_secrets(body) if mask else body
    # Small models break on unescaped double quotes inside JSON strings; grounding treats the
    # two quote marks as equal, so nothing is lost.
    text = text.replace('"', "'").replace("</source", "</ source")
    attrs = f'id="{p.source_id}" kind="{p.kind}" date="{p.date or "unknown"}" title="{p.title.replace(chr(34), chr(39))}"'
    if p.author:
        attrs += f' author="{p.author.replace(chr(34), chr(39))}"'
    return f"<source {attrs}>\n{text}\n</source>"


def outline(schema: dict[str, Any] | None = None) -> str:
    """The answer's fields in a few lines: enough for a model whose output a grammar already
    constrains, at a fifth of the full schema's prompt tokens."""
    schema = schema or draft_schema()
    defs = schema.get("$defs", {})

    def shape(prop: dict[str, Any], depth: int) -> str:
        if prop.get("type") == "array":
            return "list of " + shape(prop.get("items", {}), depth)
        if "enum" in prop:
            return "one of " + ", ".join(prop["enum"])
        if "properties" in prop:  # an object built for the deal (a review's verdicts)
            values = {shape(v, 0) for v in prop["properties"].values()}
            if len(values) == 1:
                return "{" + ", ".join(prop["properties"]) + "}, each " + values.pop()
        ref = prop.get("$ref", "")
        if not ref:
            return str(prop.get("type", "string"))
        fields = defs.get(ref.split("/")[-1], {}).get("properties", {})
        if depth == 0:
            return "{" + ", ".join(fields) + "}"
        return "{" + ", ".join(f"{k}: {shape(v, depth - 1)}" for k, v in fields.items()) + "}"

    # One level deeper for answers that nest lists of items in an object (a review's `add`).
    return "\n".join(f"- {name}: {shape(prop, 1)}" for name, prop in schema["properties"].items())


def parse_draft(text: str, model: type[Answer] = Draft) -> Answer:  # type: ignore[assignment]
    """The model's JSON, tolerating code fences and chatter around the object."""
    body = _FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object in the answer")
    # strict=False: models put raw newlines and tabs inside strings; the content is still usable.
    data = json.loads(body[start : end + 1], strict=False)
    if isinstance(data, dict) and "properties" in data and not data.keys() & model.model_fields.keys():
        data = data["properties"]  # some models echo the schema's shape
    return model.model_validate(drop_nulls(data))


class LLMEngine(Engine):
    def __init__(
        self,
        model: ChatModel,
        max_tokens: int = 1800,
        mask: bool = True,
        max_items: int = 6,
        max_chars: int = 400,
        assist: bool = False,
        ask_each: bool = False,
    ) -> None:
        self.model = model
        self.assist = assist
        # In assist mode, one question per candidate instead of one answer with every verdict:
        # what a small local model judges well, and cheap where the server caches the prefix.
        self.ask_each = ask_each
        self.max_items = max_items
        self.max_chars = max_chars
        self.name = model.name
        self.max_tokens = max_tokens
        self.mask = mask
        self.evidence_budget_chars = model.context_chars

    def messages(
        self,
        reading: Reading,
        note: str = "",
        candidates: str | None = None,
        schema: dict[str, Any] | None = None,
        task: str = review.WHOLE_TASK,
    ) -> list[Message]:
        """The prompt: a brief to write (one-pass), or with `candidates` the offline findings to
        review (assist). Instructions and schema come first and the deal last, so a server that
        caches a prompt's prefix evaluates the shared part once."""
        return self._prompt(self._deal_part(reading, note), candidates, schema, task)

    def _deal_part(self, reading: Reading, note: str) -> dict[str, object]:
        """The deal's values in a prompt, its sources numbered and masked: built once per brief
        however many questions close the prompt."""
        deal: Deal = reading.deal
        citable = reading.citable
        blocks = [
            _source_block(p, numbered(p, sentences, citable), self.mask)
            for p, sentences in zip(reading.passages, reading.by_passage, strict=True)
        ]
        crm = json.dumps(deal.model_dump(exclude_none=True, exclude={"deal_id", "account"}), default=str)
        return {
            "deal_id": deal.deal_id,
            "account": deal.account or "unknown",
            "crm": crm,
            "source_count": len({p.source_id for p in reading.passages}),
            "evidence_note": note,
            "sources": "\n\n".join(blocks),
        }

    def _prompt(
        self,
        deal_part: dict[str, object],
        candidates: str | None,
        schema: dict[str, Any] | None,
        task: str,
    ) -> list[Message]:
        kind = "brief" if candidates is None else "review"
        schema = schema or draft_schema(self.max_items, self.max_chars)
        values = deal_part | {
            "schema": outline(schema)
            if self.model.enforces_schema
            else json.dumps(schema, separators=(",", ":")),
        }
        if candidates is not None:
            values |= {"candidates": candidates, "task": task}
        return [
            {"role": "system", "content": prompts.load(f"{kind}.system").render()},
            {"role": "user", "content": prompts.load(f"{kind}.user").render(**values)},
        ]

    def find(self, reading: Reading) -> Findings:
        note = (
            "; these are the passages most relevant to each section, not every source in full"
            if any(p.partial for p in reading.passages)
            else ""
        )
        started = time.perf_counter()
        if self.assist:
            found = ExtractiveEngine().find(reading)
            numbered_candidates = review.handles(found)
            lines = review.candidate_lines(found, numbered_candidates, reading)
            if self.ask_each:
                answer, asked = self._ask_each(reading, note, lines, numbered_candidates)
            else:
                schema = review.review_schema(numbered_candidates, self.max_chars)
                answer, asked = self._ask(self.messages(reading, note, lines, schema), Review, schema)
            findings = review.apply(answer, found, numbered_candidates, reading, self.name)
            system = "review.system"
        else:
            schema = draft_schema(self.max_items, self.max_chars)
            draft, asked = self._ask(self.messages(reading, note, schema=schema), Draft, schema)
            findings = to_findings(draft, reading, self.name)
            system = "brief.system"
        findings.provenance = {
            "prompt_version": prompts.load(system).version,
            "model_ms": round((time.perf_counter() - started) * 1000, 1),
            "retries": getattr(self.model, "retries", 0),
            "llm_mode": "assist" if self.assist else "one-pass",
            **asked,
        }
        return findings

    def _ask_each(
        self, reading: Reading, note: str, lines: str, numbered: dict[str, Finding]
    ) -> tuple[Review, dict[str, Any]]:
        """Verdicts asked one candidate at a time. Where the backend gives the probability of a
        yes, a candidate stays when it reaches `review.KEEP_PROBABILITY`; elsewhere the model's
        yes keeps it and its no drops it."""
        verdicts: dict[str, str] = {}
        usage: dict[str, int] = {}
        method, repaired = "", False
        deal_part = self._deal_part(reading, note)
        for handle, question in review.questions(numbered, reading).items():
            deadline.check()  # past the brief's deadline nobody waits for the next answer
            messages = self._prompt(deal_part, lines, review.YES_NO, question)
            scored = self.model.yes_probability(messages)
            if scored is not None:
                p_yes, cost = scored
                keep = p_yes >= review.KEEP_PROBABILITY
                _add(usage, cost)
                method = "next-token probability"
            else:
                reply, asked = self._ask(messages, review.YesNo, review.YES_NO)
                keep = reply.answer == "yes"
                _add(usage, asked["usage"])
                method, repaired = asked["structured_output"], repaired or asked["repaired"]
            verdicts[handle] = review.KEEP if keep else review.DROP
        return Review(verdicts=verdicts), {"usage": usage, "structured_output": method, "repaired": repaired}

    def _ask(
        self, messages: list[Message], answer: type[Answer], schema: dict[str, Any]
    ) -> tuple[Answer, dict[str, Any]]:
        """The model's answer parsed as `answer`, with one chance to repair invalid JSON; and
        what it cost (tokens, the structured-output method, whether it was repaired)."""
        usage: dict[str, int] = {}
        completion = self.model.complete(messages, schema, self.max_tokens)
        _add(usage, completion.usage)
        repaired = False
        try:
            parsed = parse_draft(completion.text, answer)
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
                parsed = parse_draft(completion.text, answer)
            except (ValueError, ValidationError) as second_error:
                raise ModelError(
                    f"invalid JSON from the model after one repair: {_short(second_error)}"
                ) from None
            repaired = True
        return parsed, {"usage": usage, "structured_output": completion.method, "repaired": repaired}


def _add(total: dict[str, int], usage: dict[str, int]) -> None:
    for key, value in usage.items():
        total[key] = total.get(key, 0) + value


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)[:300]

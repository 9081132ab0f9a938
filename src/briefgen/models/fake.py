"""Models that need no server, shipped in the package so every interface can run without a key:
`FunctionModel` answers with whatever a function returns; `EchoModel` builds a valid draft by
citing the first numbered sentence of each source it is shown."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .base import ChatModel, Completion, Message

Responder = Callable[[list[Message], dict[str, Any]], str]


class FunctionModel(ChatModel):
    def __init__(self, fn: Responder, name: str = "function") -> None:
        self.fn = fn
        self.name = f"fake:{name}"
        self.calls: list[list[Message]] = []
        self.retries = 0

    def complete(self, messages: list[Message], schema: dict[str, Any], max_tokens: int) -> Completion:
        self.calls.append(messages)
        text = self.fn(messages, schema)
        return Completion(
            text=text,
            method="function",
            usage={
                "input_tokens": sum(len(m["content"]) // 4 for m in messages),
                "output_tokens": len(text) // 4,
            },
        )


_SOURCE = re.compile(r'<source id="([^"]+)"[^>]*>\n(.*?)\n</source>', re.S)
_NUMBERED = re.compile(r"\[(S\d+)\] ([^\n\[]*)")


def numbered_sentences(prompt: str) -> list[tuple[str, str, str]]:
    """(source id, sentence number, what follows the number on its line) for every citable
    sentence a prompt shows."""
    return [
        (source, number, text.strip())
        for source, body in _SOURCE.findall(prompt)
        for number, text in _NUMBERED.findall(body)
    ]


def echo_responder(messages: list[Message], schema: dict[str, Any]) -> str:
    """A draft whose goals cite the first numbered sentence of each source."""
    goals: dict[str, dict[str, Any]] = {}
    for source, number, text in numbered_sentences(messages[-1]["content"]):
        goals.setdefault(source, {"text": text[:80], "ids": [number]})
    return json.dumps({"goals": list(goals.values())[:6], "handoff_risk": {"level": "low", "factors": []}})


class EchoModel(FunctionModel):
    def __init__(self) -> None:
        super().__init__(echo_responder, "echo")

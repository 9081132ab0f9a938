"""Models that need no server, shipped in the package so every interface can run without a key:
`FunctionModel` answers with whatever a function returns; `EchoModel` builds a valid draft by
quoting the first sentences of the sources it is shown."""

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


def echo_responder(messages: list[Message], schema: dict[str, Any]) -> str:
    """A draft whose goals quote the first sentence of each source."""
    goals = []
    for sid, text in _SOURCE.findall(messages[-1]["content"]):
        first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
        goals.append({"text": first, "quote": first, "source_id": sid})
    return json.dumps(
        {"summary": "echo", "goals": goals[:6], "handoff_risk": {"level": "low", "factors": []}}
    )


class EchoModel(FunctionModel):
    def __init__(self) -> None:
        super().__init__(echo_responder, "echo")

"""Any OpenAI-compatible endpoint (OpenAI, Azure OpenAI, Ollama, vLLM, llama.cpp's servers,
LM Studio) through langchain-openai's ChatOpenAI, which drives the `openai` client.

Structured output is tried in order — JSON schema, JSON mode carrying the schema (llama.cpp
turns it into a grammar), plain JSON mode, tool calling — and the method that worked is
remembered per endpoint and model in a small JSON file, so later calls go straight to it.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ..errors import ConfigError, MethodUnsupported, ModelError
from . import base
from .base import ChatModel, Completion, Message, with_retries
from .strict_schema import strict_schema

METHODS = ("json_schema", "json_object_schema", "json_object", "tools")
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
_UNSUPPORTED_HINTS = (
    "response_format",
    "json_schema",
    "tool",
    "not supported",
    "unsupported",
    "unrecognized",
    "extra inputs",
    "literal_error",
)


def _retry_after(headers: Any) -> float | None:
    try:
        value = headers.get("retry-after") if headers is not None else None
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def classify(exc: Exception) -> ModelError:
    """Map the openai client's exceptions onto retryable / unsupported / fatal."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return ModelError("model request timed out", retryable=True)
    if isinstance(exc, openai.APIConnectionError):
        # A refused or unresolvable endpoint does not come back within a backoff: fail fast.
        return ModelError(f"cannot reach the model endpoint ({exc.__cause__ or exc})")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        body = str(getattr(exc, "body", "") or exc.message or "").lower()
        if status == 429:
            return ModelError(
                "rate limited (429)", retryable=True, retry_after=_retry_after(exc.response.headers)
            )
        if status in (401, 403):
            return ModelError(f"the endpoint refused the API key ({status})")
        if status == 404:
            return ModelError(f"model or endpoint not found (404): {body[:200]}")
        if any(h in body for h in _UNSUPPORTED_HINTS) and status in (400, 422, 500, 501):
            return MethodUnsupported(f"endpoint refused the request format ({status})")
        if status >= 500:
            return ModelError(
                f"server error {status}", retryable=True, retry_after=_retry_after(exc.response.headers)
            )
        return ModelError(f"request rejected ({status}): {body[:200]}")
    return ModelError(f"model call failed: {type(exc).__name__}: {exc}")


class MethodMemory:
    """Which structured-output method works for which endpoint, kept across runs."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._data: dict[str, str] = {}
        if path and path.exists():
            try:
                self._data = json.loads(path.read_text())
            except (OSError, ValueError):
                self._data = {}

    def get(self, key: str) -> str | None:
        return self._data.get(key)

    def put(self, key: str, method: str) -> None:
        with self._lock:
            if self._data.get(key) == method:
                return
            self._data[key] = method
            if self.path:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text(json.dumps(self._data, indent=1))
                tmp.replace(self.path)


class OpenAICompatModel(ChatModel):
    def __init__(
        self,
        base_url: str | None,
        model: str,
        api_key: str | None = None,
        timeout: float = 120.0,
        attempts: int = 3,
        context_chars: int = 24_000,
        memory: MethodMemory | None = None,
        method: str | None = None,
    ) -> None:
        if not model:
            raise ConfigError("no model name: set BRIEFGEN_LLM_MODEL or pass --model")
        if method is not None and method not in METHODS:
            raise ConfigError(f"unknown structured-output method '{method}' (one of {', '.join(METHODS)})")
        self.base_url = base_url
        self.model = model
        self.name = f"openai:{model}"
        self.api_key = api_key or "not-needed"
        self.timeout = timeout
        self.attempts = attempts
        self.context_chars = context_chars
        self.memory = memory or MethodMemory(None)
        self.forced_method = method
        self.last_method: str | None = None
        self.retries = 0

    @property
    def key(self) -> str:
        return f"{self.base_url or 'https://api.openai.com/v1'}|{self.model}"

    def _client(self, max_tokens: int) -> Any:
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            model=self.model,
            base_url=self.base_url,
            api_key=self.api_key,  # type: ignore[arg-type]
            timeout=self.timeout,
            max_retries=0,
            temperature=0,
            max_tokens=max_tokens,  # type: ignore[call-arg]
        )

    def _guard(self) -> None:
        if base.ALLOW_MODEL_REQUESTS:
            return
        host = urlparse(self.base_url or "https://api.openai.com").hostname or ""
        raise ModelError(f"model requests are disabled here (would call {host})")

    def complete(self, messages: list[Message], schema: dict[str, Any], max_tokens: int) -> Completion:
        self._guard()
        client = self._client(max_tokens)
        remembered = self.forced_method or self.memory.get(self.key)
        order = (
            [remembered]
            if self.forced_method
            else ([remembered, *[m for m in METHODS if m != remembered]] if remembered else list(METHODS))
        )
        last: ModelError | None = None
        for method in order:
            assert method is not None
            try:
                completion = with_retries(
                    lambda m=method: self._call(client, m, messages, schema),  # type: ignore[misc]
                    attempts=self.attempts,
                    on_retry=lambda e, d: self._count_retry(),
                )
            except MethodUnsupported as exc:
                last = exc
                continue
            self.memory.put(self.key, method)
            self.last_method = method
            return completion
        raise last or ModelError("no structured-output method worked")

    def _count_retry(self) -> None:
        self.retries += 1

    def _call(self, client: Any, method: str, messages: list[Message], schema: dict[str, Any]) -> Completion:
        import openai

        lc_messages = [(m["role"], m["content"]) for m in messages]
        try:
            if method == "tools":
                tool = {
                    "type": "function",
                    "function": {
                        "name": "write_brief",
                        "description": "Record the brief",
                        "parameters": schema,
                    },
                }
                msg = client.bind_tools([tool], tool_choice="write_brief").invoke(lc_messages)
                if msg.tool_calls:
                    text = json.dumps(msg.tool_calls[0]["args"])
                elif msg.invalid_tool_calls:
                    text = str(msg.invalid_tool_calls[0].get("args") or "")
                else:
                    text = str(msg.content or "")
            else:
                if method == "json_schema":
                    fmt: dict[str, Any] = {
                        "type": "json_schema",
                        "json_schema": {"name": "brief", "schema": strict_schema(schema), "strict": True},
                    }
                elif method == "json_object_schema":
                    fmt = {"type": "json_object", "schema": schema}
                else:
                    fmt = {"type": "json_object"}
                msg = client.bind(response_format=fmt).invoke(lc_messages)
                text = msg.content if isinstance(msg.content, str) else json.dumps(msg.content)
        except openai.OpenAIError as exc:
            raise classify(exc) from exc
        usage = dict(getattr(msg, "usage_metadata", None) or {})
        return Completion(
            text=text,
            method=method,
            usage={k: int(v) for k, v in usage.items() if isinstance(v, int)},
        )

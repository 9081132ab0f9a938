"""An in-process GGUF model through llama-cpp-python (extra `[local]`), with generation
constrained to the draft's JSON schema by a grammar."""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..deadline import check
from ..errors import ConfigError, ModelError
from .base import ChatModel, Completion, Message

_cache: dict[tuple[str, int], Any] = {}
# One llama.cpp context serves one call at a time: a call that outlived its deadline and a new
# one would otherwise decode into the same context (llama_decode fails, or worse).
_locks: dict[tuple[str, int], threading.Lock] = {}
_cache_lock = threading.Lock()


@atexit.register
def _close_models() -> None:
    # Free models while the interpreter is whole; llama-cpp's own finaliser fails at shutdown.
    with _cache_lock:
        for llm in _cache.values():
            with contextlib.suppress(Exception):
                llm.close()
        _cache.clear()


@contextlib.contextmanager
def _using(path: Path, n_ctx: int) -> Iterator[Any]:
    """The loaded model, held for this thread alone; llama.cpp's own failures as ModelError."""
    llm = _llama(path, n_ctx)
    with _locks[(str(path), n_ctx)]:
        check()  # waited past the deadline for a call that ran before: nothing left to do
        try:
            yield llm
        except (ValueError, RuntimeError) as exc:  # e.g. the prompt does not fit the context window
            raise ModelError(f"local model failed: {exc}") from exc


def _llama(path: Path, n_ctx: int) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ConfigError("the local engine needs llama-cpp-python: pip install 'briefgen[local]'") from exc
    key = (str(path), n_ctx)
    with _cache_lock:
        if key not in _cache:
            try:
                _cache[key] = Llama(
                    model_path=str(path), n_ctx=n_ctx, n_threads=os.cpu_count() or 2, verbose=False
                )
                _locks[key] = threading.Lock()
            except (ValueError, RuntimeError) as exc:
                raise ModelError(f"cannot load the model {path}: {exc}") from exc
        return _cache[key]


class LocalModel(ChatModel):
    def __init__(self, path: Path, n_ctx: int = 8192, max_output_tokens: int = 1800) -> None:
        if not path.is_file():
            raise ConfigError(
                f"local model {path} not found (run `briefgen model install` or set BRIEFGEN_LOCAL_MODEL)"
            )
        self.path = path
        self.n_ctx = n_ctx
        self.name = f"local:{path.stem}"
        # What is left of the window after the answer and ~1,400 tokens of instructions and
        # schema, at ~3.5 characters a token.
        self.context_chars = max(2_000, int((n_ctx - max_output_tokens - 1_400) * 3.5))
        self.retries = 0
        self.enforces_schema = True

    def complete(self, messages: list[Message], schema: dict[str, Any], max_tokens: int) -> Completion:
        with _using(self.path, self.n_ctx) as llm:
            # Streamed so that a call past its deadline stops at its next token (closing the
            # stream ends the generation) instead of decoding on while the next call waits.
            stream = llm.create_chat_completion(
                messages=messages,
                response_format={"type": "json_object", "schema": schema},
                max_tokens=max_tokens,
                temperature=0.0,
                stream=True,
            )
            parts: list[str] = []
            finish = None
            try:
                for chunk in stream:
                    check()
                    choice = chunk["choices"][0]
                    if piece := (choice.get("delta") or {}).get("content"):
                        parts.append(piece)
                    finish = choice.get("finish_reason") or finish
            finally:
                stream.close()
            # A stream reports no usage: a streamed piece is a token, and the context holds the
            # prompt and every token but a last one cut by the length limit.
            output = len(parts)
            prompt = max(0, llm.n_tokens - output + (finish == "length"))
        return Completion(
            text="".join(parts),
            method="grammar",
            usage={"input_tokens": prompt, "output_tokens": output, "total_tokens": prompt + output},
        )

    def yes_probability(self, messages: list[Message]) -> tuple[float, dict[str, int]] | None:
        seen: list[Any] = []

        def capture(ids: Any, scores: Any) -> Any:
            seen.append(scores.copy())
            return scores

        with _using(self.path, self.n_ctx) as llm:
            from llama_cpp import LogitsProcessorList

            # One token is enough: the question ends asking for yes or no. llama.cpp keeps the
            # evaluated prefix, so questions that share it cost only their own tokens.
            out = llm.create_chat_completion(
                messages=messages,
                max_tokens=1,
                temperature=0.0,
                logits_processor=LogitsProcessorList([capture]),
            )
            yes = [_token(llm, w) for w in ("yes", "Yes", " yes", " Yes")]
            no = [_token(llm, w) for w in ("no", "No", " no", " No")]
        if not seen:
            return None
        scores = seen[0]
        top = float(scores.max())
        p_yes = sum(math.exp(float(scores[t]) - top) for t in set(yes) if t is not None)
        p_no = sum(math.exp(float(scores[t]) - top) for t in set(no) if t is not None)
        usage = out.get("usage") or {}
        return p_yes / (p_yes + p_no or 1.0), {
            "input_tokens": int(usage.get("prompt_tokens", 0)),
            "output_tokens": int(usage.get("completion_tokens", 0)),
            "total_tokens": int(usage.get("total_tokens", 0)),
        }


def _token(llm: Any, word: str) -> int | None:
    """The single token a word is, or None when the tokenizer splits it."""
    ids = llm.tokenize(word.encode(), add_bos=False, special=False)
    return int(ids[0]) if len(ids) == 1 else None

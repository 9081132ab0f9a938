"""The one model boundary: send chat messages and a JSON schema, get JSON text back.

Transport faults surface as ModelError (retryable or not); an endpoint that refuses a
structured-output method raises MethodUnsupported so the caller can try the next one.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..errors import ModelError

# Tests set this to False so that no test reaches a model by accident; tests that start
# their own local server turn it back on (as pydantic-ai's ALLOW_MODEL_REQUESTS does).
ALLOW_MODEL_REQUESTS = True

Message = dict[str, str]
T = TypeVar("T")


@dataclass
class Completion:
    text: str
    method: str
    usage: dict[str, int] = field(default_factory=dict)


class ChatModel(ABC):
    name: str = "model"
    #: characters of source text the model can read in one call, prompt overhead excluded
    context_chars: int = 24_000
    #: the backend constrains output to the schema itself, so the prompt need not spell it out
    enforces_schema: bool = False

    @abstractmethod
    def complete(self, messages: list[Message], schema: dict[str, Any], max_tokens: int) -> Completion: ...

    def yes_probability(self, messages: list[Message]) -> tuple[float, dict[str, int]] | None:
        """How likely the model's answer to a yes/no question starts with yes rather than no,
        read from its next-token distribution, with the tokens it cost; None where the backend
        does not expose that distribution. A probability can be weighed against other evidence
        and calibrated; a yes or no cannot."""
        return None


def with_retries(
    call: Callable[[], T],
    attempts: int = 3,
    base_delay: float = 0.5,
    max_delay: float = 20.0,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[ModelError, float], None] | None = None,
) -> T:
    """Bounded retries with exponential backoff; a server's Retry-After wins when it is larger."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except ModelError as exc:
            if not exc.retryable or attempt == attempts:
                raise
            delay = min(max_delay, base_delay * 2 ** (attempt - 1))
            if exc.retry_after is not None:
                delay = min(max_delay, max(delay, exc.retry_after))
            if on_retry:
                on_retry(exc, delay)
            sleep(delay)
    raise AssertionError("unreachable")

"""One overall time bound on a call that may hang (a model endpoint that accepts and never
answers), whatever the call does inside: retries, repairs, several requests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from .errors import EngineError

T = TypeVar("T")


def call_within(call: Callable[[], T], seconds: float, what: str) -> T:
    """Run `call`; raise EngineError if it has not returned after `seconds`.

    The call runs on a daemon thread so that a request stuck in a socket read never keeps
    the process alive; its own per-request timeout ends it later.
    """
    result: list[T] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            result.append(call())
        except BaseException as exc:  # handed to the caller's thread as is
            error.append(exc)

    worker = threading.Thread(target=run, name=f"briefgen-deadline-{what}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise EngineError(
            f"no answer within {seconds:g} s (the deadline; set BRIEFGEN_DEADLINE or --deadline)"
        )
    if error:
        raise error[0]
    return result[0]

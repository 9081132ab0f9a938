"""One overall time bound on a call that may hang (a model endpoint that accepts and never
answers), whatever the call does inside: retries, repairs, several requests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from .errors import EngineError

T = TypeVar("T")

_local = threading.local()


def cancelled() -> bool:
    """Has the deadline of the call this thread runs for passed? Work that loops (a question
    per candidate) or generates token by token stops when it has: its caller has moved on."""
    event: threading.Event | None = getattr(_local, "cancel", None)
    return event is not None and event.is_set()


def check() -> None:
    """Raise EngineError when the deadline of the call this thread runs for has passed."""
    if cancelled():
        raise EngineError("stopped: the deadline passed")


def call_within(call: Callable[[], T], seconds: float, what: str) -> T:
    """Run `call`; raise EngineError if it has not returned after `seconds`.

    The call runs on a daemon thread so that a request stuck in a socket read never keeps
    the process alive; its own per-request timeout ends it later. Past the deadline the call
    is told so (`cancelled()`), so that it stops at its next step instead of running on beside
    the caller's next call.
    """
    result: list[T] = []
    error: list[BaseException] = []
    cancel = threading.Event()

    def run() -> None:
        _local.cancel = cancel
        try:
            result.append(call())
        except BaseException as exc:  # handed to the caller's thread as is
            error.append(exc)

    worker = threading.Thread(target=run, name=f"briefgen-deadline-{what}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        cancel.set()
        raise EngineError(
            f"no answer within {seconds:g} s (the deadline; set BRIEFGEN_DEADLINE or --deadline)"
        )
    if error:
        raise error[0]
    return result[0]

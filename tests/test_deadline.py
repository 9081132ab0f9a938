"""A call past its deadline is told so and stops, instead of running on beside the next one."""

from __future__ import annotations

import threading
import time

import pytest

from briefgen import deadline
from briefgen.errors import EngineError

from .llm_server import smollm2_path


def test_a_call_past_its_deadline_is_told_to_stop() -> None:
    stopped = threading.Event()

    def loop() -> None:
        while True:
            try:
                deadline.check()
            except EngineError:
                stopped.set()
                raise
            time.sleep(0.01)

    with pytest.raises(EngineError, match="deadline"):
        deadline.call_within(loop, 0.1, "test")
    assert stopped.wait(5)
    # The caller's own thread never ran under a deadline: nothing is cancelled there.
    assert not deadline.cancelled()


@pytest.mark.slow
def test_a_local_model_call_past_its_deadline_frees_the_model_for_the_next() -> None:
    """Two calls decoding into one llama.cpp context at once failed ("llama_decode returned -1")
    and took the eval run down; the late call now stops at its next token and the next waits."""
    from briefgen.models.local import LocalModel

    model = LocalModel(smollm2_path(), 2048, 50)
    messages = [
        {"role": "system", "content": "Write long answers."},
        {"role": "user", "content": "List two hundred farm animals, one per line, with a fact on each."},
    ]
    # The grammar makes the answer long: thirty lines at least.
    lines = {"type": "array", "items": {"type": "string"}, "minItems": 30}
    schema = {"type": "object", "properties": {"lines": lines}, "required": ["lines"]}
    with pytest.raises(EngineError, match="deadline"):
        deadline.call_within(lambda: model.complete(messages, schema, 1500), 0.5, "first")
    answer = model.complete(messages, {"type": "object"}, 8)
    assert answer.usage["output_tokens"] <= 8
    late = [t for t in threading.enumerate() if t.name == "briefgen-deadline-first"]
    for t in late:
        t.join(10)
    assert not any(t.is_alive() for t in late)

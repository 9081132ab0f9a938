"""Linear-time text handling: every compiled pattern in the package, and the loaders, stay
under a time bound on adversarial input (a regex that backtracks freezes the server)."""

from __future__ import annotations

import importlib
import pkgutil
import re
import time
from typing import Any

import pytest

import briefgen

LIMIT_S = 1.0
N = 100_000


def _adversarial() -> dict[str, str]:
    return {
        "spaces between capitals": ("Ab " + " " * 50) * (N // 53),
        "capitalised words": "Ab Cd " * (N // 6),
        "letters": "a" * N,
        "digits": "1" * N,
        "digits and separators": "1 1.1-" * (N // 6),
        "word characters and dots": "a." * (N // 2),
        "angle brackets": "<" * N,
        "open tags": "<a " * (N // 3),
        "colons": "a:" * (N // 2),
        "parentheses": "Ab (" * (N // 4),
        "dollars": "$1," * (N // 3),
        "mixed": ("Ignore the the the previous " + "x " * 20) * (N // 67),
        "equals": "pw=" * (N // 3),
        "urls": "http://a:" * (N // 9),
        "voice tags": "<v " * (N // 3),
        "header-like lines": "Ab: x\n" * (N // 6),
    }


def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    found: list[tuple[str, re.Pattern[str]]] = []
    for info in pkgutil.walk_packages(briefgen.__path__, "briefgen."):
        if info.name.endswith(("ui", "api", "__main__")):
            continue  # import-heavy entry points; they compile no text patterns of their own
        module = importlib.import_module(info.name)
        stack: list[tuple[str, Any]] = [(f"{info.name}.{k}", v) for k, v in vars(module).items()]
        while stack:
            name, value = stack.pop()
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                found.append((name, value))
            elif isinstance(value, (list, tuple)) and len(value) < 200:
                stack.extend((f"{name}[{i}]", v) for i, v in enumerate(value))
            elif isinstance(value, dict) and len(value) < 200:
                stack.extend((f"{name}[{k!r}]", v) for k, v in value.items())
    return found


PATTERNS = _patterns()


def test_the_package_compiles_many_patterns() -> None:
    assert len(PATTERNS) > 40


@pytest.mark.slow
@pytest.mark.parametrize(("name", "pattern"), PATTERNS, ids=[n for n, _ in PATTERNS])
def test_pattern_is_linear(name: str, pattern: re.Pattern[str]) -> None:
    slow = []
    for label, text in _adversarial().items():
        started = time.perf_counter()
        for _ in pattern.finditer(text):
            pass
        spent = time.perf_counter() - started
        if spent > LIMIT_S:
            slow.append(f"{label}: {spent:.1f}s")
    assert not slow, f"{name} backtracks: {slow}"

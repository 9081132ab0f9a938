"""Text from sources and CRM fields, made safe to print on a terminal: control characters (the
escape sequences that retitle a window, clear the screen or rewrite earlier lines) and bidi
overrides are shown as escapes instead of acting. Tabs and newlines stay."""

from __future__ import annotations

import re

_ACTIVE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    return _ACTIVE.sub(
        lambda m: f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 256 else f"\\u{ord(m.group(0)):04x}", text
    )

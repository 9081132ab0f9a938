"""Separating what the sender wrote from quoted replies and the signature block."""

from __future__ import annotations

import re
from dataclasses import dataclass

_REPLY_HEADER = re.compile(
    r"^(?:On\s.{3,200}?\bwrote:\s*$"  # Gmail / Apple Mail
    r"|-{2,}\s*Original Message\s*-{2,}"  # Outlook
    r"|-{2,}\s*Forwarded message\s*-{2,}"
    r"|_{10,}\s*$"  # Outlook's rule above a quoted header block
    r"|From:\s.+\n(?:Sent|Date):\s.+)",
    re.I | re.M,
)
_SIGN_OFF = re.compile(
    r"^(?:best|best regards|kind regards|regards|thanks|thank you|many thanks|cheers|warm regards|"
    r"all the best|sincerely|talk soon|thx)[,.!]?\s*$",
    re.I,
)
_SIG_DASHES = re.compile(r"^--\s*$")


@dataclass
class CleanEmail:
    body: str
    signature: list[str]


def strip_quoted(text: str) -> str:
    m = _REPLY_HEADER.search(text)
    if m:
        text = text[: m.start()]
    lines = [line for line in text.split("\n") if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip()


def split_signature(text: str, sender: str = "") -> CleanEmail:
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _SIG_DASHES.match(line):
            return CleanEmail("\n".join(lines[:i]).strip(), _nonblank(lines[i + 1 :]))
    # A sign-off near the end starts the signature; the lines after it are name/title/company.
    for i in range(len(lines) - 1, max(-1, len(lines) - 10), -1):
        if _SIGN_OFF.match(lines[i].strip()):
            tail = _nonblank(lines[i + 1 :])
            if len(tail) <= 6:
                return CleanEmail("\n".join(lines[:i]).strip(), tail)
    # No sign-off: a short last paragraph that starts with the sender's name is a signature.
    names = {n.lower() for n in [*sender.split()[:1], sender]} - {""}
    blocks = text.rstrip().rsplit("\n\n", 1)
    if len(blocks) == 2:
        tail = _nonblank(blocks[1].split("\n"))
        if (
            tail
            and len(tail) <= 5
            and (tail[0].lower().rstrip(",.") in names or _signed_by(tail[0], names))
            and all(len(line) < 80 for line in tail)
        ):
            return CleanEmail(blocks[0].strip(), tail)
    return CleanEmail(text.strip(), [])


# A line that only names people: "Aroha & Mike Tane", "Jo Reyes and team".
_NAMES_LINE = re.compile(r"^[A-Z][\w'’-]*(?: (?:&|and|\+|team|[A-Z][\w'’.-]*)){0,4}$")


def _signed_by(line: str, names: set[str]) -> bool:
    """A name line that starts with the sender's first name, as two people sign together."""
    return bool(_NAMES_LINE.match(line.strip())) and line.split()[0].lower() in names


def clean_body(text: str, sender: str = "") -> CleanEmail:
    return split_signature(strip_quoted(text), sender)


def _nonblank(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines if line.strip()]

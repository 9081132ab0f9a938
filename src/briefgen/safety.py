"""Recognising text that must never reach a brief as content: instructions aimed at a
model (prompt injection) and secrets (card numbers, passwords, keys)."""

from __future__ import annotations

import base64
import re
from typing import Any

from .schema import ITEM_SECTIONS

_INJECTION = re.compile(
    r"(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|your\s+)*(?:previous|prior|above|"
    r"earlier|preceding|system)?\s*(?:instructions?|prompts?|rules|guidelines|directions)"
    r"|\b(?:you are|act as|pretend to be)\s+(?:now\s+)?(?:an?\s+)?(?:ai|assistant|language model|llm|chatbot|gpt)\b"
    r"|\bsystem prompt\b|\bnew instructions?\b|\binstructions? (?:to|for) (?:the )?(?:ai|assistant|model|llm)\b"
    r"|\b(?:ai|assistant|model|llm|summari[sz]er|bot)s?\s*(?:[:,]|reading this|that reads this|processing this)"
    r"|\b(?:to|for|dear|hey|attention|note to)\s+(?:any\s+|the\s+|all\s+|an?\s+)?(?:ai|automated)\s*(?:assistants?|models?|bots?|tools?|summari[sz]ers?|note-?takers?)?\b"
    r"|\b(?:mark|rate|set|classify|report|label|describe|present|portray|call)\s+(?:this|the)\s+(?:deal|account|customer|brief|handoff|risk)"
    r"[\w\s-]{0,30}\s+as\b"
    r"|\b(?:reveal|print|output|list|include|show)\s+(?:all\s+)?(?:the\s+)?(?:other|all)\s+(?:deals?|customers?|accounts?)"
    r"|\bdo not (?:mention|report|include) (?:any )?(?:risks?|this)\b"
    r"|\bignorez\b|\bignoriere\b|\bignora\b|\bignorar\b|\binstrucciones\b|\banweisungen\b|\bconsignes\b",
    re.I,
)
_B64 = re.compile(r"\b[A-Za-z0-9+/]{24,}={0,2}")


def is_injection(text: str) -> bool:
    if _INJECTION.search(text):
        return True
    # Encoded payloads: decode base64-looking runs and check what they say.
    for m in _B64.finditer(text):
        try:
            decoded = base64.b64decode(m.group(0) + "=" * (-len(m.group(0)) % 4)).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        if _INJECTION.search(decoded):
            return True
    return False


_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_SECRET_PATTERNS = [
    re.compile(
        r"\b(?:password|passwort|kennwort|passwd|pwd|passcode|heslo|has\u0142o|senha|contrase\u00f1a|"
        r"mot de passe|pin|secret|token|api[ _-]?key)\b[^\n:=]{0,24}?(?:\bis\b|:|=)\s*\S+",
        re.I,
    ),
    # Remote-access ids are credentials for the customer's machines.
    re.compile(r"\b(?:anydesk|teamviewer)\b\s*(?:id)?\s*[:#]?\s*\d[\d ]{6,14}\d", re.I),
    re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}\b"),
    re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}"),
    re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b"),  # IBAN
    re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),  # US SSN
    re.compile(r"\bBearer\s+[A-Za-z0-9._~+/-]{20,}=*"),
]


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def find_secrets(text: str) -> list[tuple[int, int]]:
    """Spans of likely secrets in `text`."""
    spans: list[tuple[int, int]] = []
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and _luhn(digits):
            spans.append(m.span())
    for pattern in _SECRET_PATTERNS:
        spans.extend(m.span() for m in pattern.finditer(text))
    return sorted(spans)


def has_secret(text: str) -> bool:
    return bool(find_secrets(text))


def mask_secrets(text: str) -> str:
    out, last = [], 0
    for start, end in find_secrets(text):
        if start < last:
            continue
        out.append(text[last:start])
        out.append("[REDACTED]")
        last = end
    out.append(text[last:])
    return "".join(out)


_WORD = re.compile(r"[^\W_][\w'-]{2,}", re.U)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n")


def _words(text: str) -> set[str]:
    return {w.lower().strip("'-") for w in _WORD.findall(text)}


def _decoded(text: str) -> str:
    out = []
    for m in _B64.finditer(text):
        try:
            out.append(base64.b64decode(m.group(0) + "=" * (-len(m.group(0)) % 4)).decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
    return " ".join(out)


def tainted_words(sources: list[str]) -> set[str]:
    """Words that occur only inside instructions aimed at a model (and their decoded payloads).

    A brief that uses one of them is repeating or obeying the instruction, whatever engine wrote
    it, so those items are removed."""
    bad: set[str] = set()
    clean: set[str] = set()
    for text in sources:
        for sentence in _SENTENCE_SPLIT.split(text):
            if is_injection(sentence):
                bad |= _words(sentence) | _words(_decoded(sentence))
            else:
                clean |= _words(sentence)
    return bad - clean


def scrub_brief(brief: Any, sources: list[str] | None = None) -> tuple[int, int]:
    """Remove items that carry an instruction aimed at a model or a secret, whatever wrote them.

    A model that followed an injected instruction would quote the instruction itself, and that
    quote verifies (it is in the source); so the check runs on the written brief too. Returns
    (items dropped for injection, items dropped for secrets)."""
    injected = secret = 0
    tainted = tainted_words(sources or [])

    def obeys(text: str) -> bool:
        return is_injection(text) or bool(tainted and _words(text) & tainted)

    for section in ITEM_SECTIONS:
        kept = []
        for item in getattr(brief, section):
            texts = item.texts()
            system_note = section == "risks" and item.description.startswith("A source contains")
            if any(has_secret(t) for t in texts):
                secret += 1
            elif not system_note and any(obeys(t) for t in texts):
                injected += 1
            else:
                kept.append(item)
        setattr(brief, section, kept)
    brief.handoff_risk.factors = [
        f for f in brief.handoff_risk.factors if not any(obeys(t) or has_secret(t) for t in f.texts())
    ]
    if has_secret(brief.summary) or obeys(brief.summary):
        brief.summary = ""
    return injected, secret

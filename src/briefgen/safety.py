"""Recognising text that must never reach a brief as content: instructions aimed at a
model (prompt injection) and secrets (card numbers, passwords, keys)."""

from __future__ import annotations

import base64
import re
import unicodedata
from typing import Any

from .schema import ITEM_SECTIONS

_INJECTION = re.compile(
    r"(?:ignore|disregard|forget|override|set aside|pay no attention to|skip)\s+(?:all\s+|any\s+|the\s+|your\s+|of\s+)*"
    r"(?:previous|prior|above|earlier|preceding|system|original|initial|former|existing)?\s*"
    r"(?:instructions?|prompts?|rules|guidelines|guidance|directions|directives|orders|context|what you (?:were|have been) told)"
    r"|\b(?:you are|act as|pretend to be|behave as|role-?play as)\s+(?:now\s+)?(?:an?\s+)?(?:ai|assistant|language model|llm|chatbot|gpt|bot)\b"
    r"|\bif you are an? (?:ai|language model|llm|chatbot|bot|assistant|model)\b"
    r"|\bsystem prompt\b|\bnew instructions?\b|\binstructions? (?:to|for) (?:the |any |all )?(?:ai|assistant|model|llm|bot)s?\b"
    r"|\b(?:ai|assistant|model|llm|summari[sz]er|bot|chatbot|gpt|copilot)s?\s*(?:[:,]|reading this|that reads this|processing this|summari[sz]ing this)"
    r"|\b(?:to|for|dear|hey|hi|hello|attention|note to|message to|memo to)\s+(?:any\s+|the\s+|all\s+|an?\s+|every\s+|our\s+|my\s+)?"
    r"(?:ai|automated|llm|gpt|chatbot|language model)\s*(?:assistants?|models?|bots?|tools?|summari[sz]ers?|note-?takers?|systems?)?\b"
    r"|\b(?:any|every|all)\s+(?:ai|llm|language model|chatbot|gpt)s?\b[\w ,'-]{0,40}?\b(?:should|must|shall|needs? to|has to|is to|are to|will)\b"
    r"|\b(?:mark|rate|set|classify|report|label|describe|present|portray|call)\s+(?:this|the)\s+(?:deal|account|customer|brief|handoff|risk)"
    r"[\w\s-]{0,30}\s+as\b"
    r"|\b(?:reveal|print|output|list|include|show)\s+(?:all\s+)?(?:the\s+)?(?:other|all)\s+(?:deals?|customers?|accounts?)"
    r"|\bdo not (?:mention|report|include) (?:any )?(?:risks?|this)\b"
    r"|\bignorez\b|\bignoriere\b|\bignora\b|\bignorar\b|\binstrucciones\b|\banweisungen\b|\bconsignes\b",
    re.I,
)
_B64 = re.compile(r"\b[A-Za-z0-9+/]{24,}={0,2}")

# Spellings that hide an instruction from a pattern but not from a model: compatibility forms
# (fullwidth letters), invisible format characters (zero-width spaces and joiners, soft
# hyphens), letters of other scripts that look Latin (Unicode's confusables), and digits or
# symbols standing for letters inside a word ("1gn0r3").
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "l"}
)
_LEET_WORD = re.compile(r"[A-Za-z0-9@$!|]{1,40}")
_LEET_CHAR = re.compile(r"[0-9@$!|]")
_FOLD: dict[int, str] = {}


def _lookalikes() -> dict[int, str]:
    """Non-ASCII characters that Unicode lists as confusable with an ASCII letter or digit."""
    from confusable_homoglyphs import confusables

    table: dict[int, str] = {}
    for char, glyphs in confusables.confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        latin = [g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalnum()]
        if latin:
            # Unicode's prototype for I and its lookalikes is "l"; a capital reads as "I".
            table[ord(char)] = "I" if latin[0] == "l" and char.isupper() else latin[0]
    return table


def normalise_for_detection(text: str) -> str:
    """The text as a reader (or a model) reads it: NFKC, format characters removed, lookalike
    letters folded to Latin, and digits or symbols that stand for letters read as letters."""
    if not _FOLD:
        _FOLD.update(_lookalikes())
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = text.translate(_FOLD)
    return _LEET_WORD.sub(lambda m: _unleet(m.group(0)), text)


def _unleet(word: str) -> str:
    # Only words that mix letters and stand-ins: "12 weeks" and "$48,000" stay as written.
    if not _LEET_CHAR.search(word) or sum(c.isalpha() for c in word) < 2:
        return word
    return word.translate(_LEET)


def is_injection(text: str) -> bool:
    if _INJECTION.search(text):
        return True
    folded = normalise_for_detection(text)
    if folded != text and _INJECTION.search(folded):
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


# Every pattern is linear: quantifiers are bounded or separated by a literal, never nested
# without a bound (tests/security/test_regex_time.py runs them on adversarial input).
_CARD = re.compile(r"\b(?:\d[ .-]{0,3}){12,18}\d\b")
_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}(?:[ -]?[A-Za-z0-9]{4}){3,7}(?:[ -]?[A-Za-z0-9]{1,3})?\b")
_KEYWORD = (
    r"(?:password|passwort|kennwort|passwd|pwd|pw|passcode|heslo|has\u0142o|senha|contrase\u00f1a|"
    r"mot de passe|secret|client secret|secret access key|aws_secret_access_key|token|api[ _-]?key|access key)"
)
_SECRET_PATTERNS = [
    # "the admin password for the portal is X", "pw = X", "Passwort: X", "it's X"
    re.compile(
        rf"\b{_KEYWORD}\b[^\n:=]{{0,30}}?(?:\b(?:is|es|ist|est|was|it'?s)\b|:|=)\s{{0,3}}[\"'“]?"
        # the value looks made, not written: it holds a digit or a symbol
        r"(?=[^\s\"'”]{0,200}[\d#!$%&*@_+=/])[^\s\"'”]{3,200}",
        re.I,
    ),
    # "password Dental#2027": a keyword right before a value with a digit or a symbol
    re.compile(r"\b(?:password|passwort|pwd|pw)\s(?=[^\s]{0,60}[\d#!$%&*@])[^\s,;]{6,60}", re.I),
    re.compile(r"\bpin(?:\s?code)?\b[^\n\d]{0,12}\d{4,8}\b", re.I),
    re.compile(r"\b(?:sk|pk|rk)[-_](?:live_|test_|proj-)?[A-Za-z0-9_-]{16,200}"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{30,100}"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,200}\b"),
    re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,200}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,2000}\.[A-Za-z0-9_-]{5,2000}\.[A-Za-z0-9_-]{5,2000}"),
    re.compile(r"\bBearer\s[A-Za-z0-9._~+/-]{20,2000}=*"),
    # credentials inside a URL: scheme://user:password@host
    re.compile(r"\b[a-z][a-z0-9+.-]{1,15}://[^\s:/@]{1,64}:[^\s@/]{1,128}@", re.I),
    re.compile(r"-----BEGIN [A-Z ]{0,30}PRIVATE KEY-----[^\n]{0,8000}"),
    re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),  # US SSN
    # remote-access ids are credentials for the customer's machines
    re.compile(r"\b(?:anydesk|teamviewer)\b\s{0,3}(?:id)?\s{0,3}[:#]?\s{0,3}\d[\d ]{6,14}\d", re.I),
]
# A 40-character key (AWS secret access keys) has upper, lower and digits in one unbroken run.
_KEY40 = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


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


def _iban_ok(value: str) -> bool:
    raw = re.sub(r"[ -]", "", value).upper()
    if not 15 <= len(raw) <= 34:
        return False
    moved = raw[4:] + raw[:4]
    digits = "".join(str(int(c, 36)) for c in moved)
    return int(digits) % 97 == 1


def find_secrets(text: str) -> list[tuple[int, int]]:
    """Spans of likely secrets in `text`."""
    spans: list[tuple[int, int]] = []
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and _luhn(digits):
            spans.append(m.span())
    for m in _IBAN.finditer(text):
        if _iban_ok(m.group(0)):
            spans.append(m.span())
    for m in _KEY40.finditer(text):
        v = m.group(0)
        if any(c.isupper() for c in v) and any(c.islower() for c in v) and any(c.isdigit() for c in v):
            spans.append(m.span())
    for pattern in _SECRET_PATTERNS:
        spans.extend(m.span() for m in pattern.finditer(text))
    return sorted(spans)


def has_secret(text: str) -> bool:
    return bool(find_secrets(text))


def mask_secrets(text: str) -> str:
    out, last = [], 0
    for start, end in find_secrets(text):
        if end <= last:
            continue
        start = max(start, last)  # overlapping spans: mask their union
        out.append(text[last:start])
        out.append("[REDACTED]")
        last = end
    out.append(text[last:])
    return "".join(out)


def mask_value(value: Any) -> Any:
    """Strings anywhere in a JSON-like value, masked."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    return value


def mask_deal(deal: Any) -> Any:
    """A copy of a Deal with every text field masked."""
    return type(deal).model_validate(mask_value(deal.model_dump()))


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
        sentences = [x for x in _SENTENCE_SPLIT.split(text) if x.strip()]
        flagged = [is_injection(x) for x in sentences]
        # An instruction broken over two lines is one instruction.
        for i in range(len(sentences) - 1):
            if not (flagged[i] or flagged[i + 1]) and is_injection(f"{sentences[i]} {sentences[i + 1]}"):
                flagged[i] = flagged[i + 1] = True
        for sentence, injected in zip(sentences, flagged, strict=True):
            if injected:
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

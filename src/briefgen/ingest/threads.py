"""Rebuilding an email thread: every quoted reply and forwarded message inside a body becomes a
message of its own, with its own author and date.

Deal terms often live only in the quoted part ("ok for us" above a quoted order form), so
dropping quoted text drops the deal. `quotequail` finds the reply and forward headers (Gmail,
Outlook, Apple Mail and their German, French, Spanish and Dutch forms; Outlook's header block in
the other languages it is sold in is taught to it here); unwrapping is repeated for nested
quotes. The same text quoted again further down a thread is left to the sentence-level
deduplication every engine applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from email.utils import parseaddr
from functools import lru_cache
from typing import Any

from ..dates import parse_date

MAX_DEPTH = 12
# quotequail tries every reply pattern on every line before the first quote, about 0.3 ms a
# line, and re-reads a run of "Name: value" lines from each of its lines (the square of the
# run). So it is given at most MAX_LINES lines in all, with such runs broken every RUN lines
# by an invisible mark it cannot read as a header (taken out of what it returns). A real
# header block is a few lines; what lies past the budget stays in the innermost message.
MAX_LINES = 800
RUN = 40
_MARK = "\u2063"
_HEADER_LIKE = re.compile(r"\*?[-\w ]{1,200}:")


# Outlook writes the quoted message's header in the language of the writer's Office: "Lähettäjä:
# … Lähetetty: … Aihe: …", "Da: … Inviato: … Oggetto: …". quotequail knows a few of these
# labels; without the others such a block is not a header, and the whole quoted offer reads as
# the reply's own words, said by the one who replied. Labels by the field they name.
_OUTLOOK_LABELS = {
    "from": ("lähettäjä", "fra", "od", "da", "kimden", "feladó", "avsender"),
    "date": (
        "envoyé",
        "enviado",
        "enviada em",
        "inviato",
        "lähetetty",
        "sendt",
        "skickat",
        "wysłano",
        "wysłane",
        "odesláno",
        "gönderildi",
        "küldve",
    ),
    "to": ("vastaanottaja", "til", "do", "a", "komu", "kime", "címzett", "mottaker"),
    "cc": ("kopio", "dw", "másolatot kap", "kopi", "bilgi"),
    "subject": ("aihe", "emne", "temat", "assunto", "oggetto", "předmět", "konu", "tárgy"),
}
# Outlook's "-----Original Message-----" line in the same languages.
_ORIGINAL_MESSAGE = (
    "Message d'origine",
    "Alkuperäinen viesti",
    "Oprindelig meddelelse",
    "Opprinnelig melding",
    "Ursprungligt meddelande",
    "Wiadomość oryginalna",
    "Oryginalna wiadomość",
    "Messaggio originale",
    "Mensagem original",
    "Původní zpráva",
    "Orijinal İleti",
    "Eredeti üzenet",
)


@lru_cache(maxsize=1)
def _quotequail() -> Any:
    """quotequail, with Outlook's header labels and separators in more languages."""
    import quotequail

    try:
        from quotequail import _patterns

        headers, forward = _patterns.HEADER_MAP, _patterns.COMPILED_PATTERN_MAP["forward"]
    except (ImportError, AttributeError, KeyError):  # another layout: its own languages only
        return quotequail
    for field, labels in _OUTLOOK_LABELS.items():
        for label in labels:
            headers.setdefault(label, field)
    forward += [re.compile(rf"^---+ ?{re.escape(line)} ?---+$") for line in _ORIGINAL_MESSAGE]
    return quotequail


def _bounded(text: str, budget: int) -> tuple[str, str]:
    """The head of `text` quotequail may read (runs of header-like lines broken), and the rest."""
    lines = text.split("\n")
    head, tail = lines[:budget], lines[budget:]
    run = 0
    for i, line in enumerate(head):
        if _HEADER_LIKE.match(line):
            run += 1
            if run > RUN:
                head[i] = _MARK + line
                run = 0
        elif line.strip():
            run = 0  # quotequail's header scan reads across blank lines, stops at other text
    return "\n".join(head), "\n".join(tail)


@dataclass(frozen=True)
class QuotedMessage:
    text: str
    author: str | None
    email: str | None
    date: str | None  # ISO
    subject: str | None
    kind: str  # reply | forward
    header: str = ""  # the header block as the source wrote it
    to: str | None = None
    cc: str | None = None


_COMPANY_SUFFIXES = frozenset(
    {
        "inc",
        "ltd",
        "llc",
        "gmbh",
        "ag",
        "sa",
        "bv",
        "nv",
        "plc",
        "co",
        "corp",
        "srl",
        "sarl",
        "ab",
        "as",
        "oy",
        "pty",
    }
)


def display_name(raw: str) -> str:
    """ "Last, First" as "First Last"; anything else as written."""
    name = raw.strip().strip('"').strip()
    # A caption's tag stays after the name: "Roe, Jane (CL)" is "Jane Roe (CL)".
    tag = re.search(r"\s*\([^()]*\)$", name)
    bare = name[: tag.start()] if tag else name
    if bare.count(",") == 1:
        last, first = (p.strip() for p in bare.split(","))
        company = first.rstrip(".").lower() in _COMPANY_SUFFIXES  # "Acme, Inc."
        if last and first and not company and len(last.split()) <= 2 and len(first.split()) <= 2:
            return f"{first} {last}{tag.group() if tag else ''}"
    return name


def name_from_handle(handle: str) -> str:
    """ "tess.okafor" (a chat handle, or an address's local part) as "Tess Okafor"."""
    return " ".join(part.capitalize() for part in re.split(r"[._]", handle.lstrip("@")))


def split_author(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    # Gmail's "On Tue, Oct 6, 2026 at 9:14 AM Jane Doe <jane@x.com> wrote:" leaves the time in
    # the sender; the name is what follows the last "AM"/"PM" or the last comma.
    # parseaddr splits an unquoted "Last, First <addr>" at its comma: take the address first.
    m = re.match(r"^(.*?)\s*<([^<>@\s]+@[^<>\s]+)>\s*$", value.strip())
    if m:
        name, addr = m.group(1), m.group(2)
    else:
        name, addr = parseaddr(value)
        if not addr and "<" not in value:
            name = value
    for marker in (" AM ", " PM ", " am ", " pm "):
        if marker in f" {name} ":
            name = f" {name} ".rsplit(marker, 1)[1]
    return (display_name(name) or None), (addr.lower() or None)


def _when(date_text: str, from_text: str) -> date | None:
    # "On Tue, Nov 17, 2026 at 10:03 AM Dana wrote:" is split at its commas: the year and time
    # arrive at the start of the sender.
    year = re.match(r"\s*((?:19|20)\d\d)\b", from_text)
    if year and not re.search(r"\b(?:19|20)\d\d\b", date_text):
        date_text = f"{date_text}, {year.group(1)}"
    import dateparser

    # Reply headers come in the writer's language and order: "Am 02.03.2027 um 10:15",
    # "Le mar. 9 févr. 2027". A dotted numeric date is day first wherever it is written.
    settings = {"DATE_ORDER": "DMY"} if re.search(r"\b\d{1,2}\.\d{1,2}\.", date_text) else {}
    try:
        parsed = dateparser.parse(date_text, settings=settings)
    except Exception:  # an odd header is an undated message, not a failed ingest
        parsed = None
    return parsed.date() if parsed else parse_date(date_text)


def _header_block(text: str, found: dict[str, str]) -> str:
    """The reply or forward header between the text above it and the quoted message, verbatim
    (quotequail returns its fields parsed; a quote must be the source's own words)."""
    top = found.get("text_top", "").strip()
    start = text.find(top[-80:]) + len(top[-80:]) if top else 0
    first = next((line.strip() for line in found["text"].split("\n") if line.strip()), "")
    # At a line's start: the body's first line ("Owen") may also stand in a header field.
    end = text.find("\n" + first, max(start, 0)) + 1 if first else -1
    if start < 0 or end <= start:
        return ""
    return text[start:end].strip("\n")


def unwrap_thread(body: str) -> tuple[str, list[QuotedMessage]]:
    """The sender's own text, and the messages quoted under it, newest first."""
    quotequail = _quotequail()
    layers: list[dict[str, str]] = []
    current = body
    budget = MAX_LINES
    for _ in range(MAX_DEPTH):
        if budget <= 0:
            break
        head, tail = _bounded(current, budget)
        budget -= head.count("\n") + 1
        try:
            found = quotequail.unwrap(head)
        except Exception:  # a library failure leaves the body as it is
            break
        if not found or not found.get("text"):
            break
        found = {k: v.replace(_MARK, "") if isinstance(v, str) else v for k, v in found.items()}
        found["header"] = _header_block(head.replace(_MARK, ""), found)
        if tail:
            found["text"] = f"{found['text']}\n{tail}"
        layers.append(found)
        current = found["text"]
    if not layers:
        return body, []
    top = layers[0].get("text_top", "")
    messages = []
    for i, layer in enumerate(layers):
        # A message's own words are what sits above the next quote inside it.
        own = layers[i + 1].get("text_top", "") if i + 1 < len(layers) else layer["text"]
        if not own.strip():
            continue
        author, addr = split_author(layer.get("from"))
        when = _when(layer.get("date") or "", layer.get("from") or "")
        messages.append(
            QuotedMessage(
                text=own.strip(),
                author=author,
                email=addr,
                date=when.isoformat() if when else None,
                subject=layer.get("subject"),
                kind=layer.get("type", "reply"),
                header=layer.get("header", ""),
                to=layer.get("to"),
                cc=layer.get("cc"),
            )
        )
    return top, messages

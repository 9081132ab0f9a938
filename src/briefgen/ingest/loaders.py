"""One loader per format. Each takes a path and returns SourceDocuments or raises IngestError."""

from __future__ import annotations

import json
import mailbox
import re
from collections.abc import Callable
from email import policy
from email.header import decode_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any

from ..dates import date_in_name, parse_date
from ..errors import EmptySource, IngestError, UnreadableSource
from ..sentences import speaker_line
from .document import SourceDocument
from .email_clean import clean_body, split_signature
from .text import decode_bytes, html_to_text, normalise_newlines, require_text
from .threads import QuotedMessage, display_name, name_from_handle, split_author, unwrap_thread

Loader = Callable[[Path, bytes], list[SourceDocument]]

_DATE_LINE = re.compile(r"^\s*(?:date|when)\s*:\s*(.+)$", re.I | re.M)


def _iso(value: str | None) -> str | None:
    d = parse_date(value)
    return d.isoformat() if d else None


def _title_from(text: str, path: Path) -> str:
    for line in text.split("\n"):
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:120]
    return path.stem


# --- notes -----------------------------------------------------------------


def _note_date(text: str, path: Path) -> str | None:
    """A note's date: its own "Date:" line, else the date its file name starts with."""
    m = _DATE_LINE.search(text[:2000])
    date = _iso(m.group(1)) if m else None
    if date is None and (d := date_in_name(path.name)):
        date = d.isoformat()
    return date


_HEADER_START = re.compile(r"\s*(?:-{2,}[^\n]{0,60}-{2,}\s*\n\s*)?\*?(?:from|von|de)\*?\s?:", re.I)


def load_note(path: Path, data: bytes) -> list[SourceDocument]:
    text = require_text(normalise_newlines(decode_bytes(data, str(path))), str(path))
    if _HEADER_START.match(text):
        # An email thread saved or pasted as text: the header block on top is a message like
        # every quoted one under it.
        top, quoted = unwrap_thread(text)
        if quoted and not top.strip():
            docs = _quoted_documents(quoted, path, "", "", _iso_name(path), path.name, saved=True)
            if docs:
                return docs
    return [SourceDocument("note", _title_from(text, path), text, text, date=_note_date(text, path))]


_META_CHARSET = re.compile(rb"<meta[^>]{0,200}charset\s*=\s*[\"']?([\w-]+)", re.I)
_HTML_TITLE = re.compile(r"<title[^>]*>([^<]{1,300})</title>", re.I)


def load_html(path: Path, data: bytes) -> list[SourceDocument]:
    """A saved web page or an office document exported as HTML (minutes, an account plan): its
    visible text, tables kept as one line per row, dated like a note."""
    declared = m.group(1).decode("ascii", "replace") if (m := _META_CHARSET.search(data[:4096])) else None
    markup = decode_bytes(data, str(path), declared)
    text = require_text(html_to_text(markup), str(path))
    title_tag = _HTML_TITLE.search(markup[:20000])
    title = " ".join(title_tag.group(1).split()) if title_tag and title_tag.group(1).strip() else None
    return [
        SourceDocument(
            "note", (title or _title_from(text, path))[:120], text, text, date=_note_date(text, path)
        )
    ]


MAX_UNZIPPED = 200 * 1024 * 1024


def _check_zip(path: Path, data: bytes) -> None:
    """Refuse archives that would expand far beyond their size (zip bombs) before opening them."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except zipfile.BadZipFile as exc:
        raise UnreadableSource(path, "not a readable .docx file (not a zip archive)") from exc
    total = sum(i.file_size for i in infos)
    if len(infos) > 10_000 or total > MAX_UNZIPPED or total > 200 * max(1, len(data)):
        raise UnreadableSource(path, f"refused: the archive would expand to {total / 1e6:.0f} MB")


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W_TEXT = {f"{_W}t": None, f"{_W}br": "\n", f"{_W}cr": "\n", f"{_W}tab": "\t"}


def _paragraph_text(p: Any) -> str:
    """A paragraph's text in one pass over its XML (python-docx's own `text` runs an XPath
    union per run that grew with the square of the breaks in it)."""
    out = []
    for el in p.iter(*_W_TEXT):
        fixed = _W_TEXT[el.tag]
        out.append(fixed if fixed is not None else (el.text or ""))
    return "".join(out)


def load_docx(path: Path, data: bytes) -> list[SourceDocument]:
    import io

    import docx

    _check_zip(path, data)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise UnreadableSource(path, f"not a readable .docx file ({type(exc).__name__})") from exc
    paragraphs = [_paragraph_text(p._p) for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            paragraphs.append(
                " | ".join("\n".join(_paragraph_text(p._p) for p in cell.paragraphs) for cell in row.cells)
            )
    text = require_text(normalise_newlines("\n".join(paragraphs)), str(path))
    props = document.core_properties
    date = props.created.date().isoformat() if props.created else None
    if (d := date_in_name(path.name)) is not None:
        date = d.isoformat()
    title = props.title or _title_from(text, path)
    return [SourceDocument("note", title, text, text, date=date, author=props.author or None)]


def load_pdf(path: Path, data: bytes) -> list[SourceDocument]:
    import io

    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:
        raise UnreadableSource(path, f"not a readable PDF ({type(exc).__name__})") from exc
    text = require_text(normalise_newlines("\n\n".join(pages)), str(path))
    date = d.isoformat() if (d := date_in_name(path.name)) else None
    return [SourceDocument("note", _title_from(text, path), text, text, date=date)]


# --- email -----------------------------------------------------------------


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset()
    try:
        return decode_bytes(payload, "", charset)
    except IngestError:
        return ""


_MARKUP = re.compile(r"^\s*(?:<!doctype html|<html\b|<head\b|<body\b)|<body\b[^>]*>", re.I)


def _body_of(msg: Message) -> tuple[str, str]:
    """The plain-text body, or the HTML one converted when there is no plain part."""
    plain: list[str] = []
    markup: list[str] = []
    parts = msg.walk() if msg.is_multipart() else iter([msg])
    for count, part in enumerate(parts):
        if count > 500:  # deeply nested or endless multipart: stop, keep what we have
            break
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment":
            continue
        ctype = part.get_content_type()
        text = _part_text(part) if ctype in ("text/plain", "text/html") else ""
        # Some mailers label the HTML alternative text/plain: read as plain it would add every
        # line again, wrapped in tags.
        if ctype == "text/html" or _MARKUP.search(text[:2000]):
            markup.append(text)
        elif ctype == "text/plain":
            plain.append(text)
    if any(p.strip() for p in plain):
        return normalise_newlines("\n\n".join(plain)), "text/plain"
    if markup:
        return html_to_text("\n".join(markup)), "text/html"
    return "", ""


def header(msg: Message, name: str) -> str:
    """A header as readable text: RFC 2047 encoded words decoded, folding removed."""
    value = msg.get(name)
    return "" if value is None else _decoded(str(value))


def _addresses(msg: Message, name: str) -> list[dict[str, str]]:
    """The header's addresses, each display name decoded on its own: decoded first, an encoded
    comma ("=?utf-8?q?Ib=C3=A1=C3=B1ez=2C?= Lucía") would split one person in two."""
    raw = msg.get_all(name) or []
    out = []
    for display, email in getaddresses([" ".join(str(v).split()) for v in raw]):
        if email:
            out.append({"name": _decoded(display).strip(), "email": email.strip().lower()})
    return out


def _decoded(value: str) -> str:
    pieces: list[str] = []
    try:
        for chunk, charset in decode_header(value):
            if isinstance(chunk, bytes):
                pieces.append(decode_bytes(chunk, "", charset) if chunk else "")
            else:
                pieces.append(chunk)
    except (LookupError, ValueError, IngestError):
        return value
    return " ".join("".join(pieces).split())


def email_documents(msg: Message, path: Path, part: str = "") -> list[SourceDocument]:
    """The message, and every message quoted or forwarded inside it as a source of its own."""
    body, content_type = _body_of(msg)
    if not body.strip():
        raise EmptySource(path, f"email{(' ' + part) if part else ''} has no readable body")
    subject = header(msg, "Subject")
    sender_name, sender_email = parseaddr(header(msg, "From"))
    sender_name = display_name(sender_name)
    own, quoted = unwrap_thread(body)
    parent_date = _iso(header(msg, "Date")) or _iso_name(path)
    quoted_in = header(msg, "Message-ID") or path.name
    docs = _quoted_documents(quoted, path, part, subject, parent_date, quoted_in, sender_name or None)
    if quoted and not clean_body(own, sender_name).body.strip():
        return docs  # forwarded without a word of its own: the forwarded messages are the sources
    top = _email_document(msg, path, part, own, content_type, subject, sender_name, sender_email)
    top.raw = top.raw[: len(top.raw) - len(own)] + body  # the whole message, for display
    return [top, *docs]


_FIELD = re.compile(r"^[\s*>]*(?P<key>[^\W\d_]{1,12})\s?\*?\s?:", re.M)
_INLINE_TAG = re.compile(r"^\s*\[([A-Za-z]{2,12})\]\s")
# A header field's name, in the languages mail clients write it, and the field it is.
_FIELD_NAMES = {
    **dict.fromkeys(("from", "von", "de"), "from"),
    **dict.fromkeys(("to", "an", "à", "a", "para", "aan"), "to"),
    **dict.fromkeys(("cc", "kopie", "copie"), "cc"),
}


# A person's name with no address: two to four capitalised words.
_BARE_NAME = re.compile(r"^(?:[A-Z][\w'’.-]*\.? ){1,3}[A-Z][\w'’-]+$")


def _recipients(value: str | None) -> list[dict[str, str]]:
    """ "Pike, Lorraine <l.pike@…>; Dan <d@…>": Outlook separates people with semicolons, so a
    comma there is inside a name."""
    if not value:
        return []
    if ";" in value:
        out = []
        for piece in value.split(";"):
            if "@" not in piece:
                # Outlook quotes recipients by name alone ("Cc: Elliot Strand; Farah Siddiqui").
                if _BARE_NAME.match(piece.strip()):
                    out.append({"name": display_name(piece.strip())})
                continue
            name, email = split_author(piece)
            if email:
                out.append({"name": display_name(name or ""), "email": email})
        return out
    pairs = getaddresses([value])
    return [
        {"name": display_name(name or ""), "email": email.lower()} for name, email in pairs if "@" in email
    ]


def _header_fields(block: str) -> dict[str, str]:
    """The From, To and Cc lines of a quoted header block, verbatim."""
    lines: dict[str, str] = {}
    for line in block.split("\n"):
        m = _FIELD.match(line)
        field = _FIELD_NAMES.get(m.group("key").lower()) if m else None
        if field and field not in lines:
            lines[field] = line.strip()
    return lines


def _inline_answers(text: str, replier: str | None) -> tuple[str, str]:
    """The quoted text without the answers a replier wrote into it, and those answers: blocks
    that open with the replier's initials or first name in brackets ("[OB] Done - see below.")
    and run to the next blank line."""
    if not replier or len(replier.split()) < 2:
        return text, ""
    tags = {"".join(w[0] for w in replier.split()).upper(), replier.split()[0].upper()}
    kept: list[str] = []
    answers: list[str] = []
    inside = False
    for line in text.split("\n"):
        m = _INLINE_TAG.match(line)
        if m and m.group(1).upper() in tags:
            inside = True
            if answers:
                answers.append("")
        elif not line.strip():
            inside = False
        (answers if inside else kept).append(line)
    return ("\n".join(kept), "\n".join(answers)) if answers else (text, "")


def _quoted_documents(
    quoted: list[QuotedMessage],
    path: Path,
    part: str,
    subject: str,
    parent_date: str | None,
    quoted_in: str,
    replier: str | None = None,
    saved: bool = False,
) -> list[SourceDocument]:
    """Each message quoted or forwarded in a body (or saved as a text file) as a source; answers
    the message above wrote inline into one ("answers inline in [OB]") are that sender's.
    `saved`: the first is the saved message itself, titled by its subject alone."""
    docs = []
    reply_date = parent_date
    for n, q in enumerate(quoted, start=1):
        q_clean = split_signature(q.text, q.author or "")
        text, answers = _inline_answers(q_clean.body or q.text, replier)
        if answers:
            docs.append(
                SourceDocument(
                    "email",
                    f"{q.subject or subject or path.stem} (answers from {replier} inline)",
                    answers,
                    answers,
                    date=reply_date,
                    author=replier,
                    meta={"from": {"name": replier or "", "email": ""}, "quoted_in": quoted_in},
                    part=f"{part}#q{n}a",
                )
            )
        replier, reply_date = q.author, q.date or parent_date
        if len(text.split()) < 3:
            continue
        who = q.author or q.email or "unknown sender"
        lines = _header_fields(q.header)
        title = q.subject or subject or path.stem
        if not (saved and n == 1):
            title += f" ({'forwarded' if q.kind == 'forward' else 'quoted'} message from {who})"
        docs.append(
            SourceDocument(
                "email",
                title,
                text,
                f"{q.header}\n\n{q.text}" if q.header else q.text,
                date=q.date or parent_date,
                author=q.author or q.email,
                meta={
                    "from": {"name": q.author or "", "email": q.email or ""},
                    "to": _recipients(q.to) if "to" in lines else [],
                    "cc": _recipients(q.cc) if "cc" in lines else [],
                    "header_lines": lines,
                    "signature": q_clean.signature,
                    "quoted_in": quoted_in,
                    "subject": q.subject or subject,
                },
                part=f"{part}#q{n}",
            )
        )
    return docs


def _email_document(
    msg: Message,
    path: Path,
    part: str,
    body: str,
    content_type: str,
    subject: str,
    sender_name: str,
    sender_email: str,
) -> SourceDocument:
    cleaned = clean_body(body, sender_name)
    meta: dict[str, Any] = {
        "from": {"name": sender_name, "email": sender_email.lower()},
        "to": _addresses(msg, "To"),
        "cc": _addresses(msg, "Cc"),
        "subject": subject,
        "message_id": header(msg, "Message-ID"),
        "signature": cleaned.signature,
        "content_type": content_type,
    }
    text = cleaned.body or body
    header_lines = {"from": f"From: {header(msg, 'From')}", "to": f"To: {header(msg, 'To')}"}
    if msg.get("Cc"):
        header_lines["cc"] = f"Cc: {header(msg, 'Cc')}"
    meta["header_lines"] = header_lines
    head = "\n".join(header_lines.values()) + "\n"
    head += f"Date: {header(msg, 'Date')}\nSubject: {subject}\n\n"
    return SourceDocument(
        "email",
        subject or path.stem,
        text,
        head + body,
        date=_iso(header(msg, "Date")) or _iso_name(path),
        author=sender_name or sender_email or None,
        meta=meta,
        part=part,
    )


def _iso_name(path: Path) -> str | None:
    d = date_in_name(path.name)
    return d.isoformat() if d else None


def _looks_like_email(msg: Message) -> bool:
    return bool(msg.get("From") or msg.get("Subject") or msg.get("Date"))


def load_eml(path: Path, data: bytes) -> list[SourceDocument]:
    if not data.strip():
        raise EmptySource(path, "file is empty")
    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(data)
    except Exception as exc:
        raise UnreadableSource(path, f"malformed email ({type(exc).__name__})") from exc
    if not _looks_like_email(msg):
        docs = _saved_from_outlook(path, data)
        if docs:
            return docs
        raise UnreadableSource(path, "no email headers (From/Subject/Date) found")
    return email_documents(msg, path)


# The transport headers a mail client writes under its own header block; no part of the message.
_TRANSPORT_LINE = re.compile(
    r"^(?:MIME-Version|Content-Type|Content-Transfer-Encoding|Content-Disposition|X-[\w-]+):[^\n]*\n",
    re.I | re.M,
)


def _saved_from_outlook(path: Path, data: bytes) -> list[SourceDocument]:
    """A message copied out of Outlook and saved as .eml carries the header block Outlook shows,
    in the language of the writer's Office ("Von: … Gesendet: … Betreff:", "De : … Objet :"),
    not the headers mail travels with. Read like the same thread saved as text: the header block
    on top is a message like every quoted one under it."""
    text = normalise_newlines(decode_bytes(data, str(path)))
    head, blank, rest = text.partition("\n\n")
    text = _TRANSPORT_LINE.sub("", head + "\n").rstrip("\n") + blank + rest
    top, quoted = unwrap_thread(text)
    if not quoted or top.strip():
        return []
    return _quoted_documents(quoted, path, "", "", _iso_name(path), path.name, saved=True)


def load_mbox(path: Path, data: bytes) -> list[SourceDocument]:
    if not data.strip():
        raise EmptySource(path, "file is empty")
    if not data.lstrip().startswith(b"From "):
        raise UnreadableSource(path, "not an mbox file (no 'From ' separator line)")
    box = mailbox.mbox(str(path), factory=None, create=False)
    docs: list[SourceDocument] = []
    try:
        for index, message in enumerate(box):
            msg_id = str(message.get("Message-ID", "") or "").strip() or f"#{index}"
            try:
                docs.extend(email_documents(message, path, part=msg_id))
            except EmptySource:
                continue
    finally:
        box.close()
    if not docs:
        raise EmptySource(path, "mbox holds no message with a readable body")
    return docs


def load_msg(path: Path, data: bytes) -> list[SourceDocument]:
    import extract_msg

    if not data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableSource(path, "not an Outlook .msg file (no OLE signature)")
    try:
        message: Any = extract_msg.openMsg(str(path))
    except Exception as exc:
        raise UnreadableSource(path, f"unreadable Outlook .msg ({type(exc).__name__})") from exc
    try:
        body = message.body or ""
        if not body.strip() and getattr(message, "htmlBody", None):
            raw_html = message.htmlBody
            body = html_to_text(
                raw_html.decode("utf-8", "replace") if isinstance(raw_html, bytes) else raw_html
            )
        email = EmailMessage()
        email["From"] = message.sender or ""
        email["To"] = message.to or ""
        if message.cc:
            email["Cc"] = message.cc
        email["Subject"] = message.subject or ""
        if message.date:
            email["Date"] = message.date.strftime("%a, %d %b %Y %H:%M:%S %z")
        email.set_content(normalise_newlines(body) or " ")
    finally:
        message.close()
    return email_documents(email, path)


# --- transcripts -------------------------------------------------------------

_VTT_TIME = re.compile(r"^(\d{1,2}:)?\d{2}:\d{2}[.,]\d{3}\s+-->\s+")
# Bounded and stopping at "<": linear on "<v <v <v ..." (an unbounded name backtracked).
_VOICE = re.compile(r"<v(?:\.[^ <>]{1,50})?\s+([^<>]{1,200})>(.*?)(?:</v>|$)", re.S)
_TAG = re.compile(r"</?[^<>]{1,500}>")  # stops at the next "<": linear on "<<<<"


_ADDRESS_LABEL = re.compile(r"^([a-z][a-z'-]{1,30}[._][a-z][a-z'-]{1,30})@[\w.-]+\.[a-z]{2,}$", re.I)


def _turns_to_document(
    turns: list[tuple[str | None, str]], path: Path, title: str | None, date: str | None
) -> SourceDocument:
    merged: list[tuple[str | None, str]] = []
    emails: dict[str, str] = {}
    for label, text in turns:
        # Teams captions name people "Novak, Daniel", and guests by their address; a line
        # reads "Daniel Novak: …", and the address is kept for the person's side.
        speaker = display_name(label) if label else label
        if label and (m := _ADDRESS_LABEL.match(label.strip())):
            speaker = name_from_handle(m.group(1))
            emails[speaker] = label.strip().lower()
        text = " ".join(text.split())
        if not text:
            continue
        if merged and merged[-1][0] == speaker:
            merged[-1] = (speaker, merged[-1][1] + " " + text)
        else:
            merged.append((speaker, text))
    if not merged:
        raise EmptySource(path, "transcript has no spoken text")
    lines = [f"{s}: {t}" if s else t for s, t in merged]
    text = "\n".join(lines)
    speakers = sorted({s for s, _ in merged if s})
    if not title:
        stem = re.sub(r"^\d{4}-\d\d-\d\d[-_ ]*", "", path.stem).replace("_", " ").replace("-", " ")
        title = (stem[:1].upper() + stem[1:]) if stem else path.stem
    return SourceDocument(
        "transcript",
        title,
        text,
        text,
        date=date or _iso_name(path),
        meta={"speakers": speakers, **({"speaker_emails": emails} if emails else {})},
    )


def _split_speaker(line: str) -> tuple[str | None, str]:
    """ "Dana Reyes: …", "Speaker 2: …", "Dana Reyes (Moldwise): …": who said the cue."""
    return speaker_line(line) or (None, line)


def load_vtt(path: Path, data: bytes) -> list[SourceDocument]:
    text = decode_bytes(data, str(path))
    if not text.lstrip("\ufeff").startswith("WEBVTT"):
        raise UnreadableSource(path, "not a WebVTT file (missing WEBVTT header)")
    turns: list[tuple[str | None, str]] = []
    date = None
    blocks = re.split(r"\n\s*\n", normalise_newlines(text))
    for block in blocks[1:]:
        lines = block.split("\n")
        if lines[0].startswith("NOTE"):
            m = _DATE_LINE.search(block)
            date = date or (_iso(m.group(1)) if m else None)
            continue
        while lines and not _VTT_TIME.match(lines[0]):
            lines = lines[1:]
        if not lines:
            continue
        payload = "\n".join(lines[1:])
        voices = _VOICE.findall(payload)
        if voices:
            turns.extend((speaker.strip(), _TAG.sub("", said)) for speaker, said in voices)
        else:
            turns.append(_split_speaker(_TAG.sub("", " ".join(lines[1:])).strip()))
    return [_turns_to_document(turns, path, None, date)]


_SRT_TIME = re.compile(r"^\d{2}:\d{2}:\d{2},\d{3}\s+-->\s+\d{2}:\d{2}:\d{2},\d{3}")


def load_srt(path: Path, data: bytes) -> list[SourceDocument]:
    text = normalise_newlines(decode_bytes(data, str(path)))
    turns: list[tuple[str | None, str]] = []
    seen_timing = False
    for block in re.split(r"\n\s*\n", text):
        lines = [line for line in block.split("\n") if line.strip()]
        if lines and lines[0].strip().isdigit():
            lines = lines[1:]
        if not lines or not _SRT_TIME.match(lines[0]):
            continue
        seen_timing = True
        turns.append(_split_speaker(_TAG.sub("", " ".join(lines[1:])).strip()))
    if not seen_timing:
        raise UnreadableSource(path, "not an SRT file (no cue timings found)")
    return [_turns_to_document(turns, path, None, None)]


def load_transcript_json(path: Path, data: bytes) -> list[SourceDocument]:
    try:
        parsed = json.loads(decode_bytes(data, str(path)))
    except json.JSONDecodeError as exc:
        raise UnreadableSource(path, f"invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    title = date = None
    turns_raw: Any = parsed
    if isinstance(parsed, dict):
        title = parsed.get("title")
        date = _iso(str(parsed.get("date") or "")) if parsed.get("date") else None
        turns_raw = parsed.get("turns") or parsed.get("segments") or parsed.get("transcript")
    if not isinstance(turns_raw, list):
        raise UnreadableSource(path, "expected a JSON list of {speaker, start, text} turns")
    turns: list[tuple[str | None, str]] = []
    for i, turn in enumerate(turns_raw):
        if not isinstance(turn, dict) or not isinstance(turn.get("text"), str):
            raise UnreadableSource(path, f"turn {i} has no 'text' string")
        speaker = turn.get("speaker")
        turns.append((str(speaker).strip() if speaker else None, turn["text"]))
    return [_turns_to_document(turns, path, title, date)]


LOADERS: dict[str, Loader] = {
    ".txt": load_note,
    ".md": load_note,
    ".markdown": load_note,
    ".eml": load_eml,
    ".mbox": load_mbox,
    ".msg": load_msg,
    ".vtt": load_vtt,
    ".srt": load_srt,
    ".json": load_transcript_json,
    ".docx": load_docx,
    ".pdf": load_pdf,
    ".html": load_html,
    ".htm": load_html,
}

"""Verifying and reading CRM webhooks. Each parser turns one CRM's format into DealEvents and
raises Unauthorized or BadInput with a reason a client can act on."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from .ingest.discover import slug

HUBSPOT_MAX_AGE_MS = 5 * 60 * 1000
# A timestamp ahead of this server's clock is refused beyond this much clock skew: a request
# dated in the future would stay valid past the five-minute replay window.
HUBSPOT_MAX_SKEW_MS = 60 * 1000
MAX_JSON_DEPTH = 32
MAX_ID = 2**63 - 1  # CRM ids are signed 64-bit integers


class Unauthorized(Exception):
    pass


class BadInput(Exception):
    pass


@dataclass
class DealEvent:
    source: str
    event_id: str
    deal_id: str
    stage: str
    won: bool
    account: str | None = None
    documents: list[dict[str, Any]] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)


def shown(value: object, limit: int = 40) -> str:
    """A client's value quoted back in a message: short, with control characters escaped."""
    text = value if isinstance(value, str) else repr(value)
    text = text.encode("unicode_escape", "backslashreplace").decode("ascii")
    return repr(text[:limit] + ("…" if len(text) > limit else ""))


def _json(body: bytes) -> Any:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"body is not valid JSON: {exc}") from exc
    except RecursionError:
        raise BadInput(f"body is not accepted: JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    check_json(data)
    return data


def check_json(data: Any) -> None:
    """Refuse what would fail later as a server error: nesting beyond MAX_JSON_DEPTH and
    strings holding an unpaired surrogate (valid JSON escapes, but not Unicode text)."""
    stack: list[tuple[str, Any, int]] = [("body", data, 0)]
    while stack:
        where, value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadInput(f"body is not accepted: JSON nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, str):
            _check_text(where, value)
        elif isinstance(value, dict):
            for k, v in value.items():
                _check_text(f"a key in {where}", k)
                stack.append((f"{where}.{k}"[:80], v, depth + 1))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]"[:80], v, depth + 1) for i, v in enumerate(value))


def _check_text(where: str, text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadInput(
            f"{where} holds an unpaired surrogate (\\u{ord(text[exc.start]):04x}); send valid Unicode"
        ) from None


def crm_id(value: Any, field: str) -> str:
    """A CRM record id: a positive whole number below 2^63 (as a number or digits)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BadInput(f"'{field}' must be a whole number, got {type(value).__name__}")
    text = value.strip() if isinstance(value, str) else str(value)
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise BadInput(f"'{field}' must be a whole number from 1 to 2^63-1, got {shown(value)}")
    return str(int(text))


def _optional_text(value: Any, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise BadInput(f"'{field}' must be a string, got {type(value).__name__}")


def _object(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadInput(f"'{field}' must be an object, got {type(value).__name__}")
    return value


def _ascii_header(name: str, value: str) -> str:
    # Starlette decodes header bytes as Latin-1; an HMAC comparison of non-ASCII text raises.
    if not value.isascii():
        raise Unauthorized(f"{name} holds characters other than ASCII")
    return value


# --- HubSpot -----------------------------------------------------------------


def hubspot_signature(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    message = method.encode() + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def verify_hubspot(
    secret: str | None,
    method: str,
    uri: str,
    body: bytes,
    headers: dict[str, str],
    now_ms: float | None = None,
) -> None:
    if not secret:
        raise Unauthorized("HubSpot webhooks are not configured (BRIEFGEN_HUBSPOT_SECRET)")
    signature = headers.get("x-hubspot-signature-v3")
    timestamp = headers.get("x-hubspot-request-timestamp")
    if not signature or not timestamp:
        raise Unauthorized("missing X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp")
    _ascii_header("X-HubSpot-Signature-v3", signature)
    _ascii_header("X-HubSpot-Request-Timestamp", timestamp)
    if not timestamp.isdigit() or len(timestamp) > 15:
        raise Unauthorized("X-HubSpot-Request-Timestamp is not a number of milliseconds")
    ts = int(timestamp)
    now_ms = time.time() * 1000 if now_ms is None else now_ms
    if now_ms - ts > HUBSPOT_MAX_AGE_MS:
        raise Unauthorized("stale request: X-HubSpot-Request-Timestamp is older than 5 minutes")
    if ts - now_ms > HUBSPOT_MAX_SKEW_MS:
        raise Unauthorized("X-HubSpot-Request-Timestamp is in the future")
    expected = hubspot_signature(secret, method, uri, body, timestamp)
    if not hmac.compare_digest(expected, signature):
        raise Unauthorized("X-HubSpot-Signature-v3 does not match")


def parse_hubspot(body: bytes, won_stage: str) -> list[DealEvent]:
    data = _json(body)
    if not isinstance(data, list):
        raise BadInput("expected a JSON array of HubSpot events")
    out = []
    for i, ev in enumerate(data):
        if not isinstance(ev, dict) or "eventId" not in ev or "objectId" not in ev:
            raise BadInput(f"event {i}: needs eventId and objectId")
        event_id = crm_id(ev["eventId"], f"event {i}: eventId")
        object_id = crm_id(ev["objectId"], f"event {i}: objectId")
        if ev.get("propertyName") not in (None, "dealstage"):
            continue
        stage = _optional_text(ev.get("propertyValue"), f"event {i}: propertyValue") or ""
        out.append(
            DealEvent(
                "hubspot",
                event_id,
                slug(f"hubspot-{object_id}"),
                stage,
                stage == won_stage,
                fields={"occurredAt": ev.get("occurredAt")},
            )
        )
    return out


# --- Pipedrive ----------------------------------------------------------------


def verify_basic(user: str | None, password: str | None, authorization: str | None) -> None:
    if not user or not password:
        raise Unauthorized("Pipedrive webhooks are not configured (BRIEFGEN_PIPEDRIVE_USER/PASSWORD)")
    if not authorization or not authorization.lower().startswith("basic "):
        raise Unauthorized("HTTP basic auth required")
    try:
        given = base64.b64decode(_ascii_header("Authorization", authorization)[6:].strip(), validate=True)
        given.decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthorized("malformed basic auth header") from exc
    expected = f"{user}:{password}"
    if not hmac.compare_digest(given, expected.encode()):
        raise Unauthorized("wrong basic auth credentials")


def parse_pipedrive(body: bytes) -> list[DealEvent]:
    data = _json(body)
    if not isinstance(data, dict) or not isinstance(data.get("meta"), dict):
        raise BadInput("expected a Pipedrive webhook object with 'meta'")
    meta = data["meta"]
    if isinstance(data.get("current"), dict):  # v1: event "updated.deal"
        current = data["current"]
        previous = _object(data.get("previous"), "previous")
        if meta.get("object", "deal") != "deal":
            return []
        raw_id = current.get("id") if current.get("id") is not None else meta.get("id")
        deal_id = crm_id(raw_id, "current.id") if raw_id is not None else None
        stage = _optional_text(current.get("status"), "current.status") or ""
        event_id = f"v1:{meta.get('webhook_id', '')}:{meta.get('timestamp', '')}:{deal_id}:{stage}"
        won = stage == "won" and previous.get("status") != "won"
        account = _optional_text(current.get("org_name"), "current.org_name") or _optional_text(
            current.get("title"), "current.title"
        )
    elif isinstance(data.get("data"), dict):  # v2: action "change"
        current = data["data"]
        previous = _object(data.get("previous"), "previous")
        if meta.get("entity", "deal") != "deal" or meta.get("action") not in ("change", "update", "updated"):
            return []
        raw_id = current.get("id") if current.get("id") is not None else meta.get("entity_id")
        deal_id = crm_id(raw_id, "data.id") if raw_id is not None else None
        stage = _optional_text(current.get("status"), "data.status") or ""
        won = stage == "won" and previous.get("status", "") != "won"
        account = _optional_text(current.get("title"), "data.title")
        delivery = meta.get("id") or meta.get("correlation_id")
        if delivery is not None and not isinstance(delivery, (str, int)):
            raise BadInput(f"'meta.id' must be a string, got {type(delivery).__name__}")
        # Without a delivery id, the event is what it says: a retry of the same body is the same
        # event, and two different changes are two events (not one id shared by all).
        event_id = (
            f"v2:{delivery}"
            if delivery not in (None, "")
            else "v2:body:" + hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:32]
        )
    else:
        raise BadInput("Pipedrive payload has neither 'current' (v1) nor 'data' (v2)")
    if deal_id is None:
        raise BadInput("Pipedrive payload names no deal id")
    return [DealEvent("pipedrive", event_id, slug(f"pipedrive-{deal_id}"), stage, won, account)]


# --- Salesforce -----------------------------------------------------------------

_SF = "{http://soap.sforce.com/2005/09/outbound}"
ACK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    '<soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">'
    "<Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>"
)


# An outbound message carries at most 100 notifications of a few fields each.
SALESFORCE_MAX_BYTES = 1024 * 1024
_XML_DECL = re.compile(rb"""^<\?xml[^>]{0,200}?encoding\s{0,5}=\s{0,5}["']([A-Za-z0-9._-]{1,40})["']""")


class TooLarge(BadInput):
    pass


def verify_salesforce_path(token: str | None, given: str | None) -> None:
    """The organization id is not a secret (it shows in every Salesforce URL), so the endpoint's
    path carries one: /v1/webhooks/salesforce/<BRIEFGEN_SALESFORCE_TOKEN>."""
    if not token:
        raise Unauthorized("Salesforce webhooks are not configured (BRIEFGEN_SALESFORCE_TOKEN)")
    if not given or not hmac.compare_digest(given.encode(), token.encode()):
        raise Unauthorized("post Salesforce outbound messages to /v1/webhooks/salesforce/<token>")


def _check_xml_bytes(body: bytes) -> None:
    """Size and encoding before any parsing: Salesforce sends UTF-8, and a UTF-16 body slipped
    past a byte-level entity filter."""
    if len(body) > SALESFORCE_MAX_BYTES:
        raise TooLarge(f"outbound message over the {SALESFORCE_MAX_BYTES} byte limit")
    if body.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00", b"\x4c\x6f\xa7\x94")) or b"\x00" in body[:4096]:
        raise BadInput("outbound message must be UTF-8 (Salesforce sends UTF-8)")
    m = _XML_DECL.match(body.removeprefix(b"\xef\xbb\xbf"))
    if m and m.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise BadInput(f"outbound message declares encoding {shown(m.group(1).decode())}; send UTF-8")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"outbound message is not valid UTF-8 (byte {exc.start})") from None


def parse_salesforce(body: bytes, allowed_orgs: tuple[str, ...], won_stage: str) -> list[DealEvent]:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    if not allowed_orgs:
        raise Unauthorized("Salesforce webhooks are not configured (BRIEFGEN_SALESFORCE_ORG_IDS)")
    _check_xml_bytes(body)
    # A streaming parse: the organization is checked when its element ends, before the rest of
    # the message is read; a notification before it is refused. No DTD, no entities.
    org: str | None = None
    events = iterparse(io.BytesIO(body), events=("end",), forbid_dtd=True)
    try:
        for _, el in events:
            if el.tag == f"{_SF}OrganizationId" and org is None:
                org = (el.text or "").strip()
                # Salesforce sends 18-character ids; an allowlist may hold the 15-character form.
                if not any(org == a or (len(org) >= 15 and org[:15] == a[:15]) for a in allowed_orgs):
                    raise Unauthorized(f"organization {shown(org or '(none)')} is not allowed")
            elif el.tag == f"{_SF}Notification" and org is None:
                raise Unauthorized("OrganizationId must come before the notifications")
    except DefusedXmlException:
        raise BadInput("XML with a DOCTYPE or entities is not accepted") from None
    except ET.ParseError as exc:
        raise BadInput(f"body is not valid XML: {exc}") from exc
    root = events.root
    notifications = root.find(f".//{_SF}notifications")
    if notifications is None:
        raise BadInput("no outbound-message <notifications> element")
    if org is None:
        raise Unauthorized("outbound message names no OrganizationId")
    out = []
    for note in notifications.findall(f"{_SF}Notification"):
        note_id = (note.findtext(f"{_SF}Id") or "").strip()
        obj = note.find(f"{_SF}sObject")
        if obj is None or not note_id:
            raise BadInput("a Notification without Id or sObject")
        fields = {child.tag.split("}")[-1]: (child.text or "").strip() for child in obj}
        deal = fields.get("Id")
        if not deal:
            raise BadInput(f"notification {note_id}: sObject has no Id")
        stage = fields.get("StageName", "")
        won = stage == won_stage or fields.get("IsWon", "").lower() == "true"
        out.append(
            DealEvent(
                "salesforce",
                note_id,
                slug(f"salesforce-{deal}"),
                stage,
                won,
                fields.get("Name"),
                fields=fields,
            )
        )
    return out


# --- generic ------------------------------------------------------------------


def verify_generic(secret: str | None, body: bytes, header: str | None) -> None:
    if not secret:
        raise Unauthorized("generic webhooks are not configured (BRIEFGEN_WEBHOOK_SECRET)")
    if not header or not header.startswith("sha256="):
        raise Unauthorized("missing X-Briefgen-Signature: sha256=<hex>")
    _ascii_header("X-Briefgen-Signature", header)
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, header[7:].strip()):
        raise Unauthorized("X-Briefgen-Signature does not match")


def parse_generic(body: bytes) -> list[DealEvent]:
    data = _json(body)
    if not isinstance(data, dict):
        raise BadInput("expected a JSON object")
    for key in ("event_id", "deal_id", "stage"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise BadInput(f"field '{key}' is required (a non-empty string)")
        if len(data[key]) > 200:
            raise BadInput(f"field '{key}' is longer than 200 characters")
    account = _optional_text(data.get("account"), "account")
    docs = data.get("documents") or []
    if not isinstance(docs, list) or not all(
        isinstance(d, dict) and isinstance(d.get("name"), str) and isinstance(d.get("content"), str)
        for d in docs
    ):
        raise BadInput("field 'documents' must be a list of {name, content}")
    stage = data["stage"]
    return [
        DealEvent(
            "generic",
            data["event_id"],
            data["deal_id"],
            stage,
            stage.lower() in ("won", "closedwon", "closed won", "closed_won"),
            account,
            docs,
        )
    ]

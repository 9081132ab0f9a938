"""Verifying and reading CRM webhooks. Each parser turns one CRM's format into DealEvents and
raises Unauthorized or BadInput with a reason a client can act on."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .ingest.discover import slug

HUBSPOT_MAX_AGE_MS = 5 * 60 * 1000


class Unauthorized(Exception):
    pass


class BadInput(Exception):
    pass


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


def safe_filename(name: str) -> str:
    """A bare file name: no folders, no traversal, no control characters."""
    base = Path(name.replace("\\", "/")).name
    base = _SAFE_NAME.sub("_", base).strip(" .")
    if not base:
        raise BadInput(f"unusable file name {name!r}")
    return base[:120]


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


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"body is not valid JSON: {exc}") from exc


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
    try:
        ts = int(timestamp)
    except ValueError as exc:
        raise Unauthorized("X-HubSpot-Request-Timestamp is not a number") from exc
    now_ms = time.time() * 1000 if now_ms is None else now_ms
    if now_ms - ts > HUBSPOT_MAX_AGE_MS:
        raise Unauthorized("stale request: X-HubSpot-Request-Timestamp is older than 5 minutes")
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
        if ev.get("propertyName") not in (None, "dealstage"):
            continue
        stage = str(ev.get("propertyValue", ""))
        out.append(
            DealEvent(
                "hubspot",
                str(ev["eventId"]),
                slug(f"hubspot-{ev['objectId']}"),
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
        given = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthorized("malformed basic auth header") from exc
    expected = f"{user}:{password}"
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("wrong basic auth credentials")


def parse_pipedrive(body: bytes) -> list[DealEvent]:
    data = _json(body)
    if not isinstance(data, dict) or not isinstance(data.get("meta"), dict):
        raise BadInput("expected a Pipedrive webhook object with 'meta'")
    meta = data["meta"]
    if isinstance(data.get("current"), dict):  # v1: event "updated.deal"
        current = data["current"]
        previous = data.get("previous") or {}
        if meta.get("object", "deal") != "deal":
            return []
        deal_id = current.get("id") or meta.get("id")
        event_id = (
            f"v1:{meta.get('webhook_id', '')}:{meta.get('timestamp', '')}:{deal_id}:{current.get('status')}"
        )
        stage = str(current.get("status", ""))
        won = stage == "won" and previous.get("status") != "won"
        account = current.get("org_name") or current.get("title")
    elif isinstance(data.get("data"), dict):  # v2: action "change"
        current = data["data"]
        previous = data.get("previous") or {}
        if meta.get("entity", "deal") != "deal" or meta.get("action") not in ("change", "update", "updated"):
            return []
        deal_id = current.get("id") or meta.get("entity_id")
        event_id = f"v2:{meta.get('id') or meta.get('correlation_id') or meta.get('timestamp')}"
        stage = str(current.get("status", ""))
        won = stage == "won" and (previous or {}).get("status", "") != "won"
        account = current.get("title")
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


def parse_salesforce(body: bytes, allowed_orgs: tuple[str, ...], won_stage: str) -> list[DealEvent]:
    if b"<!DOCTYPE" in body[:2048].upper() or b"<!ENTITY" in body.upper():
        raise BadInput("XML with a DOCTYPE or entities is not accepted")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise BadInput(f"body is not valid XML: {exc}") from exc
    notifications = root.find(f".//{_SF}notifications")
    if notifications is None:
        raise BadInput("no outbound-message <notifications> element")
    org = (notifications.findtext(f"{_SF}OrganizationId") or "").strip()
    if not allowed_orgs:
        raise Unauthorized("Salesforce webhooks are not configured (BRIEFGEN_SALESFORCE_ORG_IDS)")
    # Salesforce sends 18-character ids; an allowlist may hold the 15-character form.
    if not any(org == a or org[:15] == a[:15] for a in allowed_orgs):
        raise Unauthorized(f"organization {org or '(none)'} is not allowed")
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
            data.get("account"),
            docs,
        )
    ]

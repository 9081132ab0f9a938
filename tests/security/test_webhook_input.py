"""Client input the red team sent to the webhooks and read endpoints: each is refused with a 4xx
and a reason (never a 500), a refused request leaves no deal record, a full disk is a 507, and no
answer repeats the server's paths or what was uploaded."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from briefgen.records import Records
from briefgen.webhooks import hubspot_signature

from .live import AUTH, serve, settings

PD = {"Authorization": "Basic " + base64.b64encode(b"pd:pw").decode()}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("webhook-input") / "home"
    # A worker: an upload's answer is its ingest, which a worker does.
    with serve(settings(home, workers=1)) as url:
        yield url, home


def deals(home: Path) -> list[str]:
    records = Records(home / "briefgen.sqlite3")
    try:
        return [d["deal_id"] for d in records.list_deals()]
    finally:
        records.close()


def generic(url: str, body: bytes | dict[str, Any]) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    sig = "sha256=" + hmac.new(b"s", raw, hashlib.sha256).hexdigest()
    return httpx.post(f"{url}/v1/webhooks/generic", content=raw, headers={"X-Briefgen-Signature": sig})


def hubspot(url: str, events: Any, ts_ms: int | None = None) -> httpx.Response:
    raw = json.dumps(events).encode()
    uri = f"{url}/v1/webhooks/hubspot"
    ts = str(int(time.time() * 1000) if ts_ms is None else ts_ms)
    return httpx.post(
        uri,
        content=raw,
        headers={
            "X-HubSpot-Signature-v3": hubspot_signature("hs", "POST", uri, raw, ts),
            "X-HubSpot-Request-Timestamp": ts,
        },
    )


def pipedrive(url: str, payload: Any) -> httpx.Response:
    return httpx.post(f"{url}/v1/webhooks/pipedrive", json=payload, headers=PD)


def v2(deal: Any, **extra: Any) -> dict[str, Any]:
    return {
        "meta": {"action": "change", "entity": "deal", **extra.pop("meta", {})},
        "data": {"id": deal, "status": "won", **extra.pop("data", {})},
        "previous": extra.pop("previous", {"status": "open"}),
    }


NON_ASCII = "sha256=\xe9\xe9".encode("latin-1")
CASES: list[tuple[str, Any, int, str]] = [
    (
        "non-ASCII generic signature",
        lambda u: httpx.post(
            f"{u}/v1/webhooks/generic", content=b"{}", headers={"X-Briefgen-Signature": NON_ASCII}
        ),
        401,
        "ASCII",
    ),
    (
        "non-ASCII HubSpot signature",
        lambda u: httpx.post(
            f"{u}/v1/webhooks/hubspot",
            content=b"[]",
            headers={
                "X-HubSpot-Signature-v3": "\xe9".encode("latin-1"),
                "X-HubSpot-Request-Timestamp": str(int(time.time() * 1000)),
            },
        ),
        401,
        "ASCII",
    ),
    (
        "non-ASCII basic auth",
        lambda u: httpx.post(
            f"{u}/v1/webhooks/pipedrive",
            content=b"{}",
            headers={"Authorization": "Basic \xe9\xe9".encode("latin-1")},
        ),
        401,
        "ASCII",
    ),
    (
        "lone surrogate in an id",
        lambda u: generic(u, b'{"event_id": "e\\ud800", "deal_id": "sur-1", "stage": "won"}'),
        400,
        "surrogate",
    ),
    (
        "lone surrogate in a document",
        lambda u: generic(
            u,
            b'{"event_id": "e2", "deal_id": "sur-2", "stage": "won",'
            b' "documents": [{"name": "a.txt", "content": "x\\udc00"}]}',
        ),
        400,
        "surrogate",
    ),
    (
        "account that is not a string",
        lambda u: generic(u, {"event_id": "e3", "deal_id": "acct-1", "stage": "won", "account": 123}),
        400,
        "'account' must be a string",
    ),
    ("deeply nested JSON", lambda u: generic(u, b"[" * 100_000 + b"]" * 100_000), 400, "nested deeper"),
    ("Pipedrive previous as a string", lambda u: pipedrive(u, v2(7, previous="open")), 400, "'previous'"),
    ("Pipedrive id as a list", lambda u: pipedrive(u, v2([1])), 400, "'data.id'"),
    (
        "Pipedrive status as an object",
        lambda u: pipedrive(u, v2(8, data={"status": {"a": 1}})),
        400,
        "'data.status'",
    ),
    ("Pipedrive id above 2^63", lambda u: pipedrive(u, v2(2**64)), 400, "2^63"),
    (
        "HubSpot id above 2^63",
        lambda u: hubspot(
            u, [{"eventId": 2**70, "objectId": 1, "propertyName": "dealstage", "propertyValue": "closedwon"}]
        ),
        400,
        "2^63",
    ),
    ("job id above 2^63", lambda u: httpx.get(f"{u}/v1/jobs/{2**64}", headers=AUTH), 422, "less than"),
    ("brief id above 2^63", lambda u: httpx.get(f"{u}/v1/briefs/{2**64}", headers=AUTH), 422, "less than"),
]


@pytest.mark.parametrize(("label", "send", "status", "reason"), CASES, ids=[c[0] for c in CASES])
def test_client_input_is_a_4xx_with_a_reason(
    api: tuple[str, Path], label: str, send: Any, status: int, reason: str
) -> None:
    url, home = api
    r = send(url)
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert reason in r.text
    assert not [d for d in deals(home) if d.startswith(("sur-", "acct-", "pipedrive-7", "pipedrive-8"))]


def test_hubspot_timestamp_in_the_future_is_refused(api: tuple[str, Path]) -> None:
    url, _ = api
    event = [{"eventId": 11, "objectId": 11, "propertyName": "dealstage", "propertyValue": "closedwon"}]
    r = hubspot(url, event, ts_ms=int(time.time() * 1000) + 10 * 60 * 1000)
    assert r.status_code == 401 and "in the future" in r.json()["detail"]
    assert hubspot(url, event).status_code == 200  # the same event, dated now


def test_pipedrive_v2_events_without_an_id_are_told_apart(api: tuple[str, Path]) -> None:
    url, _ = api
    first = pipedrive(url, v2(501)).json()["results"][0]
    second = pipedrive(url, v2(502)).json()["results"][0]
    assert first["action"] == second["action"] == "queued"
    assert first["event_id"] != second["event_id"] and first["job_id"] != second["job_id"]
    retry = pipedrive(url, v2(501)).json()["results"][0]  # the same delivery again
    assert retry["event_id"] == first["event_id"] and retry["action"] == "duplicate"


def test_rejected_requests_leave_no_deal_records(api: tuple[str, Path]) -> None:
    url, home = api
    # a later event in the same HubSpot batch is bad: the earlier one is not recorded either
    batch = [
        {"eventId": 21, "objectId": 9021, "propertyName": "dealstage", "propertyValue": "closedwon"},
        {"eventId": "x", "objectId": 9022, "propertyName": "dealstage", "propertyValue": "closedwon"},
    ]
    assert hubspot(url, batch).status_code == 400
    # a document whose name names no readable format
    bad_doc = {
        "event_id": "r1",
        "deal_id": "rejected-doc",
        "stage": "won",
        "documents": [{"name": "notes.t\u0445t", "content": "Ann wants SSO."}],
    }
    r = generic(url, bad_doc)
    assert r.status_code == 400 and "not a format briefgen reads" in r.json()["detail"]
    # an upload whose file name cleans to nothing
    up = httpx.post(
        f"{url}/v1/deals/rejected-upload/documents", headers=AUTH, files=[("files", ("...", b"Ann."))]
    )
    assert up.status_code == 400
    assert not {"hubspot-9021", "hubspot-9022", "rejected-doc", "rejected-upload"} & set(deals(home))
    assert not (home / "uploads" / "rejected-doc").exists() or not any(
        (home / "uploads" / "rejected-doc").rglob("*.*")
    )


def test_a_full_disk_is_a_507_and_leaves_nothing(
    api: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, home = api
    real_open = Path.open

    def full(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode and "uploads" in self.parts:
            raise OSError(28, "No space left on device", str(self))
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", full)
    doc = {"name": "n.txt", "content": "Ann wants SSO."}
    r = generic(url, {"event_id": "full-1", "deal_id": "full-disk", "stage": "won", "documents": [doc]})
    assert r.status_code == 507 and "no space left" in r.json()["detail"]
    up = httpx.post(
        f"{url}/v1/deals/full-upload/documents", headers=AUTH, files=[("files", ("n.txt", b"Ann."))]
    )
    assert up.status_code == 507
    monkeypatch.undo()

    from briefgen.jobs import JobQueue

    def db_full(self: JobQueue, *args: Any) -> int:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(JobQueue, "_insert", db_full)
    r = generic(url, {"event_id": "full-2", "deal_id": "full-db", "stage": "won", "documents": [doc]})
    assert r.status_code == 507, r.text
    assert "disk is full" in r.text and str(home) not in r.text and "/tmp" not in r.text
    monkeypatch.undo()
    assert not {"full-disk", "full-upload", "full-db"} & set(deals(home))
    assert not any((home / "uploads").rglob("n.txt")) if (home / "uploads").exists() else True


def test_answers_repeat_neither_server_paths_nor_uploaded_content(api: tuple[str, Path]) -> None:
    url, home = api
    payload = "<script>" + "x" * 180
    r = generic(url, {"event_id": "echo-1", "deal_id": "echo", "stage": payload})
    assert r.status_code == 200
    reason = r.json()["results"][0]["reason"]
    assert "x" * 60 not in reason and "<script>" in reason and len(reason) < 120
    # FastAPI's own validation errors repeated the input
    v = httpx.get(f"{url}/v1/briefs/SECRET-INPUT-{'y' * 50}", headers=AUTH)
    assert v.status_code == 422 and "SECRET-INPUT" not in v.text
    # an unreadable upload is reported by its name, not its place on the server
    up = httpx.post(
        f"{url}/v1/deals/echo-up/documents",
        headers=AUTH,
        files=[("files", ("bad.txt", b"\x00\x01\x02" * 50))],
    )
    assert up.status_code == 200 and str(home) not in up.text and "uploads/" not in up.text
    org = "00D" + "9" * 5000
    sf = (
        '<?xml version="1.0" encoding="UTF-8"?><e xmlns="http://soap.sforce.com/2005/09/outbound">'
        f"<notifications><OrganizationId>{org}</OrganizationId></notifications></e>"
    )
    s = httpx.post(f"{url}/v1/webhooks/salesforce/sf-path-secret", content=sf.encode())
    assert s.status_code == 401 and "9" * 100 not in s.text

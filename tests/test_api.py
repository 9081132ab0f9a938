"""The deal-close API against a real uvicorn server on 127.0.0.1, with signed payloads in each
CRM's format, duplicates, out-of-order delivery, a restart mid-job, and a callback receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from briefgen.webhooks import hubspot_signature

from .conftest import EXAMPLES
from .served import Served

KEY = "test-api-key"
HUBSPOT_SECRET = "hs-app-secret"
GENERIC_SECRET = "generic-secret"
ORG = "00D000000000001AAA"
SF_TOKEN = "sf-endpoint-token"
AUTH = {"Authorization": f"Bearer {KEY}"}


class Server(Served):
    """The API with every CRM's secrets configured, the extractive engine and a 2 MB body limit."""

    def __init__(self, home: Path, extra_env: dict[str, str] | None = None) -> None:
        env = {
            "BRIEFGEN_API_KEYS": KEY,
            "BRIEFGEN_HUBSPOT_SECRET": HUBSPOT_SECRET,
            "BRIEFGEN_PIPEDRIVE_USER": "pd",
            "BRIEFGEN_PIPEDRIVE_PASSWORD": "pd-pass",
            "BRIEFGEN_SALESFORCE_ORG_IDS": ORG,
            "BRIEFGEN_SALESFORCE_TOKEN": SF_TOKEN,
            "BRIEFGEN_WEBHOOK_SECRET": GENERIC_SECRET,
            "BRIEFGEN_ENGINE": "extractive",
            "BRIEFGEN_MAX_BODY_BYTES": str(2 * 1024 * 1024),
            **(extra_env or {}),
        }
        super().__init__(home, env)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "home").start()
    yield srv
    srv.stop()


def wait_job(srv: Server, job_id: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = httpx.get(f"{srv.url}/v1/jobs/{job_id}", headers=AUTH).json()
        if job["status"] in ("done", "failed"):
            return dict(job)
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def hubspot_post(
    srv: Server, events: list[dict[str, Any]], ts_ms: int | None = None, secret: str = HUBSPOT_SECRET
) -> httpx.Response:
    body = json.dumps(events).encode()
    uri = f"{srv.url}/v1/webhooks/hubspot"
    ts = str(ts_ms if ts_ms is not None else int(time.time() * 1000))
    sig = hubspot_signature(secret, "POST", uri, body, ts)
    return httpx.post(
        uri,
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-HubSpot-Signature-v3": sig,
            "X-HubSpot-Request-Timestamp": ts,
        },
    )


def hs_event(event_id: int, deal: int, stage: str = "closedwon") -> dict[str, Any]:
    return {
        "eventId": event_id,
        "subscriptionId": 11,
        "portalId": 62515,
        "appId": 9,
        "occurredAt": 1763900000000,
        "subscriptionType": "deal.propertyChange",
        "attemptNumber": 0,
        "objectId": deal,
        "propertyName": "dealstage",
        "propertyValue": stage,
        "changeSource": "CRM_UI",
    }


def test_hubspot_won_deal_gets_one_brief_despite_duplicates(server: Server) -> None:
    r = hubspot_post(server, [hs_event(1001, 77)])
    assert r.status_code == 200, r.text
    [result] = r.json()["results"]
    assert result["action"] == "queued" and result["deal_id"] == "hubspot-77"
    retry = hubspot_post(server, [hs_event(1001, 77)])  # the CRM retries the same event
    assert retry.json()["results"][0] == {**result, "action": "duplicate"}
    again = hubspot_post(server, [hs_event(1002, 77)])  # a second event for the same deal and stage
    assert again.json()["results"][0]["action"] == "duplicate"
    job = wait_job(server, result["job_id"])
    assert job["status"] == "done"
    briefs = httpx.get(f"{server.url}/v1/deals/hubspot-77/briefs", headers=AUTH).json()["briefs"]
    assert len(briefs) == 1
    brief = httpx.get(f"{server.url}/v1/briefs/{briefs[0]['id']}", headers=AUTH).json()["brief"]
    assert "No documents have been ingested for this deal yet." in brief["unknowns"]
    other = hubspot_post(server, [hs_event(1003, 78, "appointmentscheduled")])
    assert other.json()["results"][0]["action"] == "ignored"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda ev: {"secret": "wrong-secret"}, "does not match"),
        (lambda ev: {"ts_ms": int(time.time() * 1000) - 6 * 60 * 1000}, "older than 5 minutes"),
    ],
)
def test_hubspot_bad_signature_or_stale_timestamp_is_401(server: Server, mutate: Any, reason: str) -> None:
    r = hubspot_post(server, [hs_event(5, 5)], **mutate(None))
    assert r.status_code == 401 and reason in r.json()["detail"]


def test_pipedrive_v1_and_v2(server: Server) -> None:
    auth = "Basic " + base64.b64encode(b"pd:pd-pass").decode()
    v1 = {
        "v": 1,
        "event": "updated.deal",
        "meta": {
            "action": "updated",
            "object": "deal",
            "id": 301,
            "webhook_id": "77",
            "timestamp": 1763900000,
        },
        "current": {"id": 301, "status": "won", "title": "Globex expansion", "org_name": "Globex"},
        "previous": {"id": 301, "status": "open"},
    }
    r = httpx.post(f"{server.url}/v1/webhooks/pipedrive", json=v1, headers={"Authorization": auth})
    assert r.status_code == 200 and r.json()["results"][0]["action"] == "queued"
    v2 = {
        "meta": {"action": "change", "entity": "deal", "entity_id": "302", "id": "b7c1", "version": "2.0"},
        "data": {"id": 302, "status": "won", "title": "Initech"},
        "previous": {"status": "open"},
    }
    r2 = httpx.post(f"{server.url}/v1/webhooks/pipedrive", json=v2, headers={"Authorization": auth})
    assert r2.json()["results"][0]["deal_id"] == "pipedrive-302"
    wrong = httpx.post(
        f"{server.url}/v1/webhooks/pipedrive",
        json=v2,
        headers={"Authorization": "Basic " + base64.b64encode(b"pd:nope").decode()},
    )
    assert wrong.status_code == 401
    bad = httpx.post(
        f"{server.url}/v1/webhooks/pipedrive", content=b"{not json", headers={"Authorization": auth}
    )
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["detail"]
    job = wait_job(server, r.json()["results"][0]["job_id"])
    assert job["status"] == "done"


SF = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>{org}</OrganizationId>
   <ActionId>04k000000000001</ActionId>
   <SessionId xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>
   <Notification>
    <Id>04l000000000001AAA</Id>
    <sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com"
             xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
     <sf:Id>006000000000001AAA</sf:Id>
     <sf:Name>Umbrella renewal</sf:Name>
     <sf:StageName>Closed Won</sf:StageName>
    </sObject>
   </Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>"""


def test_salesforce_outbound_message(server: Server) -> None:
    endpoint = f"{server.url}/v1/webhooks/salesforce/{SF_TOKEN}"
    r = httpx.post(endpoint, content=SF.format(org=ORG).encode(), headers={"Content-Type": "text/xml"})
    assert r.status_code == 200 and "<Ack>true</Ack>" in r.text
    other = httpx.post(endpoint, content=SF.format(org="00D999").encode())
    assert other.status_code == 401 and "not allowed" in other.json()["detail"]
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert httpx.post(endpoint, content=bomb.encode()).status_code == 400
    deals = httpx.get(f"{server.url}/v1/deals/salesforce-006000000000001AAA/briefs", headers=AUTH)
    assert deals.status_code == 200


def generic_post(srv: Server, payload: dict[str, Any], secret: str = GENERIC_SECRET) -> httpx.Response:
    body = json.dumps(payload).encode()
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return httpx.post(
        f"{srv.url}/v1/webhooks/generic",
        content=body,
        headers={"X-Briefgen-Signature": sig, "Content-Type": "application/json"},
    )


def test_generic_webhook_with_documents_and_validation(server: Server) -> None:
    note = (EXAMPLES / "brightside-bakery" / "call-notes-2026-09-29.txt").read_text()
    r = generic_post(
        server,
        {
            "event_id": "e-1",
            "deal_id": "bakery-42",
            "account": "Brightside Bakery",
            "stage": "won",
            "documents": [{"name": "../../etc/notes.txt", "content": note}],
        },
    )
    assert r.status_code == 200, r.text
    job = wait_job(server, r.json()["results"][0]["job_id"])
    brief = httpx.get(f"{server.url}/v1/briefs/{job['brief_id']}", headers=AUTH).json()["brief"]
    assert brief["account"] == "Brightside Bakery"
    assert any(s["name"] == "Maria Gomez" for s in brief["stakeholders"])
    [stored] = (server.home / "uploads" / "bakery-42").rglob("notes.txt")  # traversal stripped
    assert stored.parent.parent == server.home / "uploads" / "bakery-42"
    assert generic_post(server, {"event_id": "e-2"}).status_code == 400
    assert (
        generic_post(server, {"event_id": "e", "deal_id": "d", "stage": "won"}, secret="x").status_code == 401
    )
    bad_id = generic_post(server, {"event_id": "e-3", "deal_id": "../x", "stage": "won"})
    assert bad_id.status_code == 400 and "not valid" in bad_id.json()["detail"]


def test_uploads_briefs_auth_and_limits(server: Server) -> None:
    files = [
        ("files", (p.name, p.read_bytes()))
        for p in sorted((EXAMPLES / "acme-logistics").iterdir())
        if p.name != "deal.json"
    ]
    files.append(("files", ("scan.txt", b"\x00\x01binary\x00")))
    r = httpx.post(f"{server.url}/v1/deals/acme/documents", files=files, headers=AUTH, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 4  # 3 files; the email also quotes an earlier message
    assert r.json()["skipped"] == [{"file": "scan.txt", "reason": "looks like binary data, not text"}]
    assert httpx.post(f"{server.url}/v1/deals/acme/documents", files=files).status_code == 401
    assert (
        httpx.post(
            f"{server.url}/v1/deals/acme/documents", files=files, headers={"Authorization": "Bearer nope"}
        ).status_code
        == 401
    )
    sync = httpx.post(f"{server.url}/v1/deals/acme/briefs?wait=true", headers=AUTH, timeout=60)
    assert sync.status_code == 201 and sync.json()["brief"]["stakeholders"]
    queued = httpx.post(f"{server.url}/v1/deals/acme/briefs", headers=AUTH)
    assert queued.status_code == 202
    assert wait_job(server, queued.json()["job_id"])["status"] == "done"
    listed = httpx.get(f"{server.url}/v1/deals/acme/briefs", headers=AUTH).json()["briefs"]
    assert [b["version"] for b in listed] == [1, 2]
    md = httpx.get(f"{server.url}/v1/briefs/{listed[0]['id']}?format=md", headers=AUTH)
    assert md.text.startswith("# Handoff brief")
    assert httpx.get(f"{server.url}/v1/briefs/99999", headers=AUTH).status_code == 404
    assert httpx.post(f"{server.url}/v1/deals/nope/briefs", headers=AUTH).status_code == 404
    big = httpx.post(
        f"{server.url}/v1/deals/acme/documents",
        headers=AUTH,
        files=[("files", ("big.txt", b"x" * (3 * 1024 * 1024)))],
    )
    assert big.status_code == 413
    assert httpx.get(f"{server.url}/docs").status_code == 200


def test_deleting_a_deal_over_the_api(server: Server) -> None:
    note = EXAMPLES / "brightside-bakery" / "call-notes-2026-09-29.txt"
    files = [("files", (note.name, note.read_bytes()))]
    assert httpx.post(
        f"{server.url}/v1/deals/gone/documents", files=files, headers=AUTH, timeout=60
    ).is_success
    assert (
        httpx.post(f"{server.url}/v1/deals/gone/briefs?wait=true", headers=AUTH, timeout=60).status_code
        == 201
    )
    assert httpx.delete(f"{server.url}/v1/deals/gone").status_code == 401
    r = httpx.delete(f"{server.url}/v1/deals/gone", headers=AUTH, timeout=60)
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in ("deal_id", "sources", "briefs", "uploads")} == {
        "deal_id": "gone",
        "sources": 1,
        "briefs": 1,
        "uploads": 1,
    }
    assert httpx.get(f"{server.url}/v1/deals/gone/briefs", headers=AUTH).status_code == 404
    assert not (server.home / "uploads" / "gone").exists()
    assert httpx.delete(f"{server.url}/v1/deals/gone", headers=AUTH).status_code == 404


def test_documents_after_close_regenerate_the_brief(server: Server) -> None:
    r = generic_post(server, {"event_id": "e-10", "deal_id": "late-docs", "stage": "won"})
    first = wait_job(server, r.json()["results"][0]["job_id"])
    empty = httpx.get(f"{server.url}/v1/briefs/{first['brief_id']}", headers=AUTH).json()["brief"]
    assert empty["stakeholders"] == []
    note = EXAMPLES / "brightside-bakery" / "call-notes-2026-09-29.txt"
    up = httpx.post(
        f"{server.url}/v1/deals/late-docs/documents",
        headers=AUTH,
        files=[("files", (note.name, note.read_bytes()))],
        timeout=60,
    )
    [job_id] = up.json()["requeued_jobs"]
    second = wait_job(server, job_id)
    brief = httpx.get(f"{server.url}/v1/briefs/{second['brief_id']}", headers=AUTH).json()
    assert brief["version"] == 2 and brief["brief"]["stakeholders"]


def test_nothing_is_lost_across_a_restart(tmp_path: Path) -> None:
    home = tmp_path / "home"
    srv = Server(home).start(BRIEFGEN_WORKERS="0")  # accepts and persists, writes nothing yet
    ids = []
    for i in range(5):
        r = generic_post(srv, {"event_id": f"r-{i}", "deal_id": f"restart-{i}", "stage": "won"})
        ids.append(r.json()["results"][0]["job_id"])
    srv.kill()  # SIGKILL: no shutdown hook runs
    db = sqlite3.connect(home / "briefgen.sqlite3")
    db.execute("UPDATE jobs SET status='running' WHERE id=?", (ids[0],))  # one was mid-flight
    db.commit()
    db.close()
    srv2 = Server(home).start()
    try:
        jobs = [wait_job(srv2, i) for i in ids]
        assert [j["status"] for j in jobs] == ["done"] * 5
        for i in range(5):
            assert (
                len(httpx.get(f"{srv2.url}/v1/deals/restart-{i}/briefs", headers=AUTH).json()["briefs"]) == 1
            )
    finally:
        srv2.stop()


class Receiver:
    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail_first = fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if outer.fail_first > 0:
                    outer.fail_first -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                outer.received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_callback_delivery_with_retries(tmp_path: Path) -> None:
    receiver = Receiver(fail_first=2)
    srv = Server(tmp_path / "home", {"BRIEFGEN_CALLBACK_URL": receiver.url}).start()
    try:
        r = generic_post(srv, {"event_id": "cb-1", "deal_id": "cb-deal", "stage": "won"})
        wait_job(srv, r.json()["results"][0]["job_id"])
        deadline = time.monotonic() + 30
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.2)
        [delivered] = receiver.received
        assert delivered["deal_id"] == "cb-deal" and delivered["version"] == 1
        assert delivered["markdown"].startswith("# Handoff brief")
        assert delivered["brief"]["deal_id"] == "cb-deal"
    finally:
        srv.stop()
        receiver.server.shutdown()

"""Salesforce outbound messages: size and encoding are checked before any parsing, the
organization on a streaming parse before the rest of the message is read, and the endpoint's
path carries a secret (the organization id is printed in every Salesforce URL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import briefgen.webhooks as webhooks
from briefgen.webhooks import BadInput, Unauthorized, parse_salesforce

from .live import AUTH, serve, settings

ORG = "00D000000000001AAA"
MESSAGE = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>{org}</OrganizationId>
   <Notification>
    <Id>04l000000000001AAA</Id>
    <sObject xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>006000000000009AAA</sf:Id><sf:Name>Umbrella</sf:Name><sf:StageName>Closed Won</sf:StageName>
    </sObject>
   </Notification>{rest}
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>"""


def message(org: str = ORG, rest: str = "") -> bytes:
    return MESSAGE.format(org=org, rest=rest).encode()


def parse(body: bytes) -> Any:
    return parse_salesforce(body, (ORG,), "Closed Won")


@pytest.fixture
def no_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the XML parser ran")

    monkeypatch.setattr("defusedxml.ElementTree.iterparse", refuse)
    monkeypatch.setattr("xml.etree.ElementTree.fromstring", refuse)


def test_a_good_message_parses() -> None:
    [event] = parse(message())
    assert event.deal_id == "salesforce-006000000000009AAA" and event.won


@pytest.mark.usefixtures("no_parser")
def test_utf16_and_other_encodings_are_refused_before_parsing() -> None:
    utf16 = message().decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    with pytest.raises(BadInput, match="UTF-8"):
        parse(utf16)
    with pytest.raises(BadInput, match="declares encoding"):
        parse(message().replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"'))
    with pytest.raises(BadInput, match="not valid UTF-8"):
        parse(message().replace(b"Umbrella", b"Umbr\xe9lla"))


@pytest.mark.usefixtures("no_parser")
def test_a_large_message_is_refused_before_parsing() -> None:
    with pytest.raises(webhooks.TooLarge):
        parse(message(rest="<x/>" * 400_000))


def test_the_organization_is_checked_before_the_rest_is_read() -> None:
    # A foreign organization followed by broken XML: refused as foreign, which only a check made
    # while streaming (before the parser reaches the break) can say.
    broken = "<Notification><Id>" + "<a>" * 50_000
    with pytest.raises(Unauthorized, match="not allowed"):
        parse(message(org="00D999999999999AAA", rest=broken))
    with pytest.raises(BadInput, match="not valid XML"):
        parse(message(rest=broken))  # the allowed organization: the break is found
    late = message().replace(b"<OrganizationId>" + ORG.encode() + b"</OrganizationId>", b"")
    late = late.replace(
        b"</notifications>", b"<OrganizationId>" + ORG.encode() + b"</OrganizationId></notifications>"
    )
    with pytest.raises(Unauthorized, match="must come before"):
        parse(late)
    with pytest.raises(BadInput, match="DOCTYPE"):
        parse(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    with serve(settings(tmp_path_factory.mktemp("sf") / "home")) as url:
        yield url, Path()


def test_the_org_id_alone_does_not_authenticate(api: tuple[str, Path]) -> None:
    url, _ = api
    plain = httpx.post(f"{url}/v1/webhooks/salesforce", content=message())
    assert plain.status_code == 401 and "/v1/webhooks/salesforce/<token>" in plain.json()["detail"]
    wrong = httpx.post(f"{url}/v1/webhooks/salesforce/guess", content=message())
    assert wrong.status_code == 401
    ok = httpx.post(f"{url}/v1/webhooks/salesforce/sf-path-secret", content=message())
    assert ok.status_code == 200 and "<Ack>true</Ack>" in ok.text
    listed = httpx.get(f"{url}/v1/deals/salesforce-006000000000009AAA/briefs", headers=AUTH)
    assert listed.status_code == 200
    big = httpx.post(f"{url}/v1/webhooks/salesforce/sf-path-secret", content=b"<x>" + b" " * 2_000_000)
    assert big.status_code == 413


def test_the_readme_documents_the_secret_path() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "BRIEFGEN_SALESFORCE_TOKEN" in readme and "/v1/webhooks/salesforce/<token>" in readme

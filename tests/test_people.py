"""People and sides, on text written for these tests."""

from __future__ import annotations

from briefgen.engines.base import Passage
from briefgen.people import People, fold
from briefgen.schema import Deal, Side


def _people(deal: Deal, *passages: Passage) -> People:
    people = People(deal)
    for p in passages:
        people.scan(p)
    people.finalize({})
    return people


def test_placeholder_speakers_are_not_people() -> None:
    transcript = Passage(
        "s1",
        "Speaker 2: Hi, this is Wanjiru from the finance team.\nSpeaker 3: Thanks, go ahead.",
        "transcript",
        "call",
        meta={"speakers": ["Speaker 2", "Speaker 3"]},
    )
    people = _people(Deal(deal_id="d", account="Kifaru Farms"), transcript)
    assert not [p for p in people.people.values() if p.name.startswith("Speaker")]


def test_accented_and_plain_spellings_are_one_person() -> None:
    assert fold("Inês  Ferreira") == fold("ines ferreira")
    note = Passage(
        "n1",
        "Attendees: Inês Ferreira (Warehouse lead, Tejo Tiles)\nInes Ferreira (Warehouse lead) owns the stock file.",
        "note",
        "notes",
    )
    people = _people(Deal(deal_id="d", account="Tejo Tiles"), note)
    assert len([p for p in people.people.values() if fold(p.name) == "ines ferreira"]) == 1


def test_owner_named_without_email_brings_the_vendor_domain() -> None:
    mail = Passage(
        "e1",
        "Hi Arjun, attached is the order form.",
        "email",
        "order form",
        author="Saoirse Byrne",
        meta={
            "from": {"name": "Saoirse Byrne", "email": "saoirse@quillon.io"},
            "to": [{"name": "Arjun Mehta", "email": "arjun@kifaru.co.ke"}],
            "cc": [{"name": "Tomas Lund", "email": "tomas@quillon.io"}],
            "signature": [],
        },
    )
    people = _people(Deal(deal_id="d", account="Kifaru Farms", owner="Saoirse Byrne"), mail)
    sides = {p.name: p.side for p in people.people.values()}
    assert sides["Saoirse Byrne"] is Side.vendor
    assert sides["Tomas Lund"] is Side.vendor  # same domain as the owner
    assert sides["Arjun Mehta"] is Side.customer


def test_a_table_row_with_our_company_is_our_person() -> None:
    note = Passage(
        "n1",
        "| Name | Role | Company |\n|---|---|---|\n| Arjun Mehta | CFO | Kifaru Farms |\n"
        "| Lena Okoro | Solutions engineer | Quillon |",
        "note",
        "notes",
    )
    deal = Deal(deal_id="d", account="Kifaru Farms", owner="Saoirse Byrne <saoirse@quillon.io>")
    sides = {p.name: p.side for p in _people(deal, note).people.values()}
    assert sides.get("Lena Okoro") is Side.vendor

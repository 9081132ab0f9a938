"""Chat exports pasted into notes, on text written for these tests."""

from __future__ import annotations

from briefgen.chat import is_chat, read_line
from briefgen.engines.base import Passage
from briefgen.people import People, canonical_name
from briefgen.reading import read_deal
from briefgen.schema import Deal, Side

SLACK = """#shared-harbourline  (copied from the desktop app)

──────── Monday, March 1st ────────

Workbench Bot  APP  9:00 AM
Welcome! Your trial runs until 15 Mar 2027.

Nadia Brook  9:12 AM
Hi both, Nadia here, I look after new customers in the north region.

Kit  9:30 AM
we lose about twenty pallets a month between the two yards
and nobody can say where they went

[10:02] ola.haugen: I handle the invoices, can they go to accounts@harbourline.example?
[10:05] nadia.brook: Yes, I will set accounts@ as the billing contact today.
"""


def test_chat_lines_name_their_author_and_keep_the_label_out_of_the_words() -> None:
    assert is_chat(SLACK)
    assert not is_chat("Minutes\n10:30 Standup: nothing new.\nAction items follow below.")
    stamped = read_line("[10:02] ola.haugen: I handle the invoices.")
    assert stamped is not None and stamped.author == "ola.haugen" and not stamped.header
    assert "[10:02] ola.haugen: I handle the invoices."[stamped.text_start :] == "I handle the invoices."
    whatsapp = read_line("12/03/2027, 09:14 - Kit Moss: pallets are back")
    assert whatsapp is not None and whatsapp.author == "Kit Moss"
    # an in-app chat that writes the day out: the stamp is when it was said, not a date it names
    spelled = "[9 Apr 2027 13:31] Lucy: ok reuploaded, 247 rows now"
    lucy = read_line(spelled)
    assert (
        lucy is not None
        and lucy.author == "Lucy"
        and spelled[lucy.text_start :] == "ok reuploaded, 247 rows now"
    )
    us = read_line("[Apr 9, 2027 1:36 PM] Sam A.: booked")
    assert us is not None and us.author == "Sam A."
    header = read_line("Nadia Brook  9:12 AM")
    assert header is not None and header.header and header.author == "Nadia Brook"
    bot = read_line("Workbench Bot  APP  9:00 AM")
    assert bot is not None and bot.author is None


def test_a_chat_note_has_speakers_and_people_on_their_sides() -> None:
    deal = Deal(deal_id="d", account="Harbourline Pallets", owner="Nadia Brook")
    note = Passage("n1", SLACK, "note", "slack export", "2027-03-01")
    reading = read_deal(deal, [note])
    by_text = {s.text: s.speaker for s in reading.sentences}
    assert by_text["Hi both, Nadia here, I look after new customers in the north region."] == "Nadia Brook"
    assert by_text["we lose about twenty pallets a month between the two yards"] == "Kit"
    assert by_text["I handle the invoices, can they go to accounts@harbourline.example?"] == "ola.haugen"
    assert all(not s.text.startswith(("[10", "Nadia Brook  ")) for s in reading.sentences)
    names = {p.name: p.side for p in reading.people.people.values()}
    assert names.get("Ola Haugen") is Side.customer
    assert names.get("Nadia Brook") is Side.vendor
    assert "Workbench Bot" not in names
    assert reading.side_of["nadia.brook"] is Side.vendor


def test_each_message_is_dated_by_the_day_line_or_stamp_above_it() -> None:
    """An export runs over weeks under one file date: a day line between messages, with or
    without its year, or a stamp that writes the day, dates the messages below it; a plan's
    "new go-live Tue 1 June" then has its year and its place in the deal's order."""
    export = (
        "Slack export, #deal-fenwick\n\n"
        "=== 2027-02-15 ===\n"
        "[09:41] @ben.okoro: proposal out, go-live target Tue 4 May, 45 named users\n"
        "[10:02] @lena.f: looks fine, the night shift training is in there\n\n"
        "──── Wednesday, February 24th ────\n"
        "[11:30] @ben.okoro: spoke to Morag, new go-live Tue 1 June, she is fine with it\n"
        "[12 Mar 2027 09:14] Dan: signed copy is in the folder, thanks all\n"
    )
    note = Passage("n1", export, "note", "slack export", "2027-01-20")
    dated = {s.text[:20]: s.date for s in read_deal(Deal(deal_id="d"), [note]).sentences}
    assert dated["proposal out, go-liv"] == dated["looks fine, the nigh"] == "2027-02-15"
    assert dated["spoke to Morag, new "] == "2027-02-24"
    assert dated["signed copy is in th"] == "2027-03-12"
    from briefgen.revisions import revisions

    sentences = read_deal(Deal(deal_id="d"), [note]).sentences
    [moved] = [c for c in revisions(sentences, set()) if c.field == "go-live date"]
    assert (moved.previous, moved.current) == ("2027-05-04", "2027-06-01")


def test_a_chat_author_with_an_initial_for_a_surname_is_the_one_person_it_fits() -> None:
    deal = Deal(deal_id="d", account="Kowhai Pallets", owner="Sam Aldous")
    people = People(deal)
    people.add("Sam Aldous", email="sam@vendor.example")
    people.add("Lucy Ng")
    found = people.find("Sam A.")
    assert found is not None and found.name == "Sam Aldous"
    assert people.find("Sam B.") is None
    people.add("Sam Avery")
    assert people.find("Sam A.") is None  # two fit: neither is named


def test_names_as_labels_and_headers_write_them() -> None:
    assert canonical_name("Saavedra, Rodrigo (CL)") == "Rodrigo Saavedra"
    assert canonical_name('"Ferraz, Daniela"') == "Daniela Ferraz"
    assert canonical_name("Jane Roe (Guest)") == "Jane Roe"
    assert canonical_name("tess.okafor") == "Tess Okafor"
    assert canonical_name("@tess.okafor") == "Tess Okafor"
    assert canonical_name("Acme, Inc.") == "Acme, Inc."
    people = People(Deal(deal_id="d"))
    person = people.add("Tremblay, Isabelle")
    assert person is not None and person.name == "Isabelle Tremblay"
    assert people.find("Isabelle Tremblay") is person and people.find("Tremblay, Isabelle") is person

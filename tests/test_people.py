"""People and sides, on text written for these tests."""

from __future__ import annotations

from briefgen.engines.base import Passage
from briefgen.people import People, Person, fold
from briefgen.reading import read_deal
from briefgen.schema import Deal, Side


def _people(deal: Deal, *passages: Passage) -> People:
    people = People(deal)
    for p in passages:
        people.scan(p)
    people.finalize({})
    return people


def _by_name(people: People) -> dict[str, Person]:
    return {p.name: p for p in people.people.values()}


def _read(deal: Deal, *passages: Passage) -> dict[str, Person]:
    """The people a whole reading of the deal finds, by name."""
    return _by_name(read_deal(deal, list(passages)).people)


def _mail(sid: str, text: str, sender: str, email: str, date: str | None = None, **meta: object) -> Passage:
    """An email from `sender` <`email`>, with any more header fields in `meta`."""
    return Passage(
        sid,
        text,
        "email",
        "mail",
        date,
        author=sender,
        meta={"from": {"name": sender, "email": email}, **meta},
    )


def _harrow() -> Deal:
    """A customer, Harrow Mills, sold to by Jon Eide of Moldwise."""
    return Deal(deal_id="d", account="Harrow Mills", owner="Jon Eide <jon@moldwise.example>")


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


def test_people_introduced_in_a_list() -> None:
    note = Passage(
        "n1",
        "Who's who after the demo:\n"
        "- Dr. Amara Okafor, Chief Medical Officer — sponsor, signs off on budget\n"
        "* Piet de Waal – runs the clinics day to day, decides on rollout order\n"
        "2. Lena Okoro = our solutions engineer\n"
        "- Harbour Street (main site), Dockside, Old Town\n"
        "- Brightwater Consulting, implementation partner\n"
        "- Joon Park: asked about SSO again",
        "note",
        "notes",
    )
    deal = Deal(deal_id="d", account="Kestrel Clinics", owner="Saoirse Byrne")
    people = _people(deal, note).people
    by_name = {p.name: p for p in people.values()}
    assert by_name["Amara Okafor"].title == "Chief Medical Officer"
    assert by_name["Amara Okafor"].side is Side.customer
    assert by_name["Piet de Waal"].side is Side.customer  # a part in the deal, no job title
    assert by_name["Lena Okoro"].side is Side.vendor
    # Places, a partner firm and a line that says nothing of the person's part are not people.
    assert "Harbour Street" not in by_name
    assert "Brightwater Consulting" not in by_name
    assert "Joon Park" not in by_name
    # The quote is the list line itself, verbatim.
    assert by_name["Amara Okafor"].quotes[0] == (
        "n1",
        "- Dr. Amara Okafor, Chief Medical Officer — sponsor, signs off on budget",
    )


def test_a_placeholder_speaker_who_introduces_themselves_takes_the_name() -> None:
    call = Passage(
        "c1",
        "Speaker 1: Thanks for joining. Shall we start with the rollout plan?\n"
        "Speaker 2: Sure. Hi, this is Wanjiru from the finance team, I approve the budget.\n"
        "Speaker 3: Tomasz here. I run the depots and I am worried about the scanners.\n"
        "Speaker 1: Great. I'm Dana, by the way, I lead the implementation on our side.\n"
        "Speaker 2: Our board meets in March.",
        "transcript",
        "call",
        meta={"speakers": ["Speaker 1", "Speaker 2", "Speaker 3"]},
    )
    reading = read_deal(Deal(deal_id="d", account="Kifaru Farms"), [call])
    speakers = [s.speaker for s in reading.sentences]
    assert "Speaker 2" not in speakers and "Speaker 3" not in speakers
    assert [s.speaker for s in reading.sentences if s.text == "Our board meets in March."] == ["Wanjiru"]
    assert {"Wanjiru", "Tomasz", "Dana"} <= {p.name for p in reading.people.people.values()}
    # The quote for a resolved speaker is the sentence that introduced them, verbatim.
    wanjiru = reading.people.find("Wanjiru")
    assert wanjiru is not None and wanjiru.quotes[0][1] in call.text


def test_a_placeholder_that_names_two_people_stays_unnamed() -> None:
    call = Passage(
        "c1",
        "Speaker 1: Hi, this is Ravi from IT.\nSpeaker 1: And this is Mei from procurement, she joins late.",
        "transcript",
        "call",
        meta={"speakers": ["Speaker 1"]},
    )
    reading = read_deal(Deal(deal_id="d", account="Kifaru Farms"), [call])
    assert {s.speaker for s in reading.sentences} == {"Speaker 1"}


def test_this_is_a_product_is_no_introduction() -> None:
    from briefgen.speakers import introduced

    people = People(Deal(deal_id="d", account="Kifaru Farms"))
    assert set(introduced("So this is Excel. Every depot has its own copy.", people)) == set()
    assert set(introduced("Hello, this is Ravi with the IT team.", people)) == {"Ravi"}
    assert set(introduced("Yes, Henrik here, I have a hard stop.", people)) == {"Henrik"}
    assert set(introduced("I'm Dana, I lead the rollout.", people)) == {"Dana"}


def test_our_champion_is_theirs_and_a_titled_person_is_the_customer_s() -> None:
    note = Passage(
        "n1",
        "- Giada Russo – Ops Mgr, our champion and day-to-day owner\n"
        "- Workday feed needs Omar Said (HR Dir) to approve an API user",
        "note",
        "notes",
    )
    deal = Deal(deal_id="d", account="Ferro Alimentari", owner="Saoirse Byrne")
    sides = {p.name: p.side for p in _people(deal, note).people.values()}
    assert sides == {"Giada Russo": Side.customer, "Omar Said": Side.customer}


def test_a_person_named_before_another_is_quoted_by_the_whole_sentence() -> None:
    """The part of a sentence about someone ends at the next name; what is quoted for them is the
    sentence, since "Noor and " is too short for the grounding check to verify."""
    from briefgen.grounding import quotable
    from briefgen.sentences import Sentence
    from briefgen.stakeholders import stakeholders

    people = People(Deal(deal_id="d", account="Kessling Dairy"))
    people.add("Noor Haddad")
    people.add("Felix Brandt")
    line = "Noor and Felix will own the rollout at the plant from April."
    said = [Sentence("s1", line, "note", "2027-03-01", None, "", 0)]
    found = {s.name: s for s in stakeholders(people, said)}
    assert [e.quote for e in found["Noor Haddad"].evidence] == [line]
    assert all(quotable(e.quote) for s in found.values() for e in s.evidence)


def test_a_name_in_capitals_takes_the_spelling_of_its_mail() -> None:
    """A caption file's "MIRA SOLBERG" and her mail's "Mira Solberg" are one person, shown as she
    signs; and either spelling of a speaker finds her side."""
    deal = Deal(deal_id="d", account="Hollin Bay", owner="Mira Solberg <mira@tessera.example>")
    people = People(deal)
    first = people.add("MIRA SOLBERG")
    again = people.add("Mira Solberg", email="mira@tessera.example")
    assert first is again and again is not None and again.name == "Mira Solberg"

    said = [
        Passage(
            "t1",
            "MIRA SOLBERG: We include the migration of your price lists.",
            "transcript",
            "call",
            "2027-01-04",
            meta={"speakers": ["MIRA SOLBERG"]},
        ),
        _mail(
            "e1",
            "Training for the whole team is included as well.",
            "Mira Solberg",
            "mira@tessera.example",
            "2027-01-05",
        ),
    ]
    reading = read_deal(deal, said)
    speakers = {s.speaker for s in reading.sentences if s.speaker}
    assert {"MIRA SOLBERG", "Mira Solberg"} <= speakers
    assert all(reading.side_of[name] is Side.vendor for name in speakers)


def test_a_colleague_our_people_bring_in_is_ours() -> None:
    """Someone one of our people brings to a call ("Ines is with me from our onboarding team")
    is ours, as is someone who says they will be the customer's success manager; a customer
    who will be "your main contact" stays theirs."""
    deal = Deal(deal_id="d", account="Brackwater Mills", owner="Tomas Reid <tomas@loomwise.example>")
    call = Passage(
        "t1",
        "Tomas Reid: Thanks for joining. Ines is with me from our onboarding team.\n"
        "Ines Galvao: Hello everyone, happy to be here.\n"
        "Pia Lund: Good to meet you. I'll be your main contact for the rollout.\n"
        "Ravi Shah: Hi, I'm Ravi, I will be your customer success manager after go-live.\n",
        "transcript",
        "call",
        "2027-02-01",
        meta={"speakers": ["Tomas Reid", "Ines Galvao", "Pia Lund", "Ravi Shah"]},
    )
    reading = read_deal(deal, [call])
    sides = {p.name: p.side for p in reading.people.people.values()}
    assert sides["Ines Galvao"] is Side.vendor
    assert sides["Ravi Shah"] is Side.vendor
    assert sides["Pia Lund"] is Side.customer


def test_a_full_name_with_a_role_in_running_text_is_a_person_on_the_speaker_s_side() -> None:
    """ "my manager Elsa Kowal" in our rep's own note is ours; "their controller Bruno Stein" is
    the customer's; "our plant director Hana Novak" is on the side of whoever wrote it."""
    deal = Deal(deal_id="d", account="Tarnow Castings", owner="Jon Eide <jon@moldwise.example>")
    note = Passage(
        "n1",
        "Discount ok'd by my manager Elsa Kowal on Friday.\nControl: their controller Bruno Stein signs the PO.",
        "note",
        "rep notes",
        "2027-02-01",
    )
    mail = _mail(
        "e1",
        "Our plant director Hana Novak wants a weekly update during the rollout.",
        "Petr Dvorak",
        "petr@tarnow.example",
        "2027-02-03",
    )
    found = _read(deal, note, mail)
    sides = {name: found[name].side for name in ("Elsa Kowal", "Bruno Stein", "Hana Novak")}
    assert sides == {"Elsa Kowal": Side.vendor, "Bruno Stein": Side.customer, "Hana Novak": Side.customer}
    assert found["Elsa Kowal"].title == "manager"


def test_a_role_with_the_name_in_brackets_is_a_person() -> None:
    """ "CSM (Ana Brandt)" is our CSM, and naming her beside the account does not make the
    account ours; "their project lead (Tom Hale)" is the customer's; a title in brackets is no one."""
    deal = _harrow()
    note = Passage(
        "n1",
        "- Support in Spanish + Spanish-speaking CSM (Ana Brandt) for the first year\n"
        "- their project lead (Tom Hale) books the training rooms\n"
        "- the CFO (Finance Director) wants quarterly invoicing\n"
        "- Mia Lund, Plant Manager at Harrow Mills - signs",
        "note",
        "rep notes",
        "2027-02-01",
    )
    found = _read(deal, note)
    assert "Finance Director" not in found
    assert found["Ana Brandt"].side is Side.vendor and found["Ana Brandt"].title == "CSM"
    assert found["Tom Hale"].side is Side.customer
    assert found["Mia Lund"].side is Side.customer


def test_two_people_who_sign_one_mail_are_both_people() -> None:
    from briefgen.ingest.email_clean import split_signature

    body = "Kia ora Sam,\n\nThe price list follows tomorrow.\n\nNgā mihi,\nAroha\n\nAroha & Mike Tane\nTane Orchards"
    cleaned = split_signature(body, "Aroha Tane")
    assert cleaned.signature[0] == "Aroha & Mike Tane"
    deal = Deal(deal_id="d", account="Tane Orchards", owner="Sam Holt <sam@pickwise.example>")
    mail = Passage(
        "e1",
        cleaned.body,
        "email",
        "Price list",
        "2027-02-03",
        author="Aroha Tane",
        meta={
            "from": {"name": "Aroha Tane", "email": "aroha@taneorchards.example"},
            "signature": cleaned.signature,
        },
    )
    found = _read(deal, mail)
    assert found["Mike Tane"].side is Side.customer
    assert ("e1", "Aroha & Mike Tane") in found["Mike Tane"].quotes
    # A pair that does not include the sender is not the sender's cosigner.
    other = split_signature("Hi,\n\nSee you.\n\nRegards,\nJo Reyes\nJo & Kim Park", "Jo Reyes")
    mail = Passage(
        "e2",
        other.body,
        "email",
        "Re: Price list",
        "2027-02-04",
        author="Jo Reyes",
        meta={"from": {"name": "Jo Reyes", "email": "jo@taneorchards.example"}, "signature": other.signature},
    )
    assert "Kim Park" not in _read(deal, mail)


def test_a_caption_label_with_a_company_is_the_person_at_that_company() -> None:
    """Teams shows "Ana Brandt (Moldwise)": one person with her mail's "Ana Brandt", and her
    company is the label's; "(CL)" and "(guest)" are no company."""
    deal = _harrow()
    people = People(deal)
    people.add("Ana Brandt (Moldwise)")
    people.add("Tom Hale (guest)")
    people.add("Hale, Tom (CL)")
    people.finalize({})
    found = _by_name(people)
    assert set(found) == {"Ana Brandt", "Tom Hale"}
    assert found["Ana Brandt"].organization == "Moldwise" and found["Ana Brandt"].side is Side.vendor
    assert found["Tom Hale"].organization is None


def test_a_customer_who_works_in_sales_stays_the_customer_s() -> None:
    """ "sales" in a customer's description is their job, not a sign they are our rep; our own
    sales titles still are."""
    deal = _harrow()
    note = Passage(
        "n1",
        "- Rita Hale, sales manager, runs the showroom\n- Jo Park, Sales Executive (ours)",
        "note",
        "rep notes",
        "2027-02-01",
    )
    found = _by_name(_people(deal, note))
    assert found["Rita Hale"].side is Side.customer
    assert found["Jo Park"].side is Side.vendor


def test_people_under_an_attendees_heading_and_in_a_table_with_initials() -> None:
    """ "Attendees" alone on a line, then "Org: Name (title), Name" lines (a line without "Org:"
    continues the one above); a minutes table gives "Name (initials) | title | org"."""
    deal = _harrow()
    note = Passage(
        "n1",
        "Kick-off, 12 January\n\nAttendees\n"
        "  Harrow Mills: Cora Lynch (Managing Director), Dan,\n"
        "                Rita Hale (Finance)\n"
        "  Moldwise:     Ola Berg (Implementation Lead), Jon\n\n"
        "Lunch at 13:00.\n"
        "Ivo Brandt (IB) | IT architect | Harrow Mills",
        "note",
        "minutes",
        "2027-01-12",
    )
    found = _by_name(_people(deal, note))
    assert found["Cora Lynch"].title == "Managing Director"
    assert found["Rita Hale"].organization == "Harrow Mills" and found["Rita Hale"].side is Side.customer
    assert found["Ola Berg"].side is Side.vendor
    assert found["Ivo Brandt"].title == "IT architect"
    assert "Lunch" not in " ".join(found)


def test_a_sender_with_no_display_name_is_named_by_their_signature() -> None:
    from briefgen.ingest.email_clean import split_signature

    body = "Jon,\n\nTwo more questions below.\n\nRegards,\nAoife\n\nDr Aoife Mulcahy PhD\nQuality Manager\nHarrow Mills"
    cleaned = split_signature(body, "")
    deal = _harrow()
    mail = Passage(
        "e1",
        cleaned.body,
        "email",
        "Questions",
        "2027-01-05",
        meta={"from": {"name": "", "email": "a.mulcahy@harrowmills.example"}, "signature": cleaned.signature},
    )
    found = _read(deal, mail)
    assert found["Aoife Mulcahy"].title == "Quality Manager"
    assert found["Aoife Mulcahy"].side is Side.customer


def test_someone_from_our_team_is_a_person_on_our_side() -> None:
    deal = _harrow()
    mail = _mail(
        "e1",
        "I've asked Tess Ambrose from our onboarding team to set up your reminder texts.",
        "Jon Eide",
        "jon@moldwise.example",
        "2027-01-05",
    )
    found = _read(deal, mail)
    assert found["Tess Ambrose"].side is Side.vendor


def test_bold_names_in_a_list_and_what_they_run() -> None:
    note = Passage(
        "n1",
        "### People\n- **Rita Hale** — Head of Finance. EB.\n- Cora Lynch — runs the planning team, back in May\n",
        "note",
        "deal review",
    )
    found = _by_name(_people(_harrow(), note))
    assert found["Rita Hale"].title == "Head of Finance"
    assert found["Cora Lynch"].side is Side.customer


def test_a_name_and_title_wrapped_across_lines_and_initials_are_no_company() -> None:
    note = Passage(
        "n1",
        "01/12/27 CALL - Discovery                                         Logged by: JE\n"
        'met w/ Rita Hale (VP Finance, "RH") + Cora Lynch (IT mgr, CL). Ivo\n'
        "Brandt (COO, IB) jumped on for the last ten minutes of the call.\n"
        "- kickoff w/ Tess Ambrose (our impl lead)\n",
        "note",
        "activity export",
    )
    found = _by_name(_people(_harrow(), note))
    assert found["Ivo Brandt"].title == "COO"
    assert found["Rita Hale"].title == "VP Finance"
    assert all(p.organization in (None, "Harrow Mills") for n, p in found.items() if n != "Tess Ambrose")
    assert found["Tess Ambrose"].side is Side.vendor


def test_a_table_header_says_which_column_is_the_title() -> None:
    """ "Name | Organisation | Role" columns; a lone line of pipes is a heading, not a row."""
    note = Passage(
        "n1",
        "Jon E. | weekly forecast call w/ Ana | Wed 20 Jan\n\nAttendance\n\n"
        "Name | Organisation | Role\n\nRita Hale (RH) | Harrow Mills | Finance Director\n\n"
        "Ola Berg (OB) | Moldwise | Solutions Engineer\n",
        "note",
        "minutes",
    )
    found = _by_name(_people(_harrow(), note))
    assert found["Rita Hale"].title == "Finance Director"
    assert found["Rita Hale"].organization == "Harrow Mills"
    assert found["Ola Berg"].organization == "Moldwise"
    assert "Jon E." not in found


def test_a_chat_agent_named_from_our_company_and_our_mailboxes() -> None:
    chat = Passage(
        "c1",
        "Moldwise Assistant: Hi there, how can I help?\nNoah from Moldwise: Hey! Noah here.\n"
        "Visitor 48291: pricing please",
        "transcript",
        "website chat",
        meta={"speakers": ["Moldwise Assistant", "Noah from Moldwise", "Visitor 48291"]},
    )
    found = _by_name(_people(_harrow(), chat))
    assert set(found) == {"Noah"}
    assert found["Noah"].organization == "Moldwise"


def test_a_role_before_a_name_in_a_list_and_a_translated_title() -> None:
    note = Passage(
        "n1",
        "- CFO Tiago Moura signs the checks, not on the call\n"
        "- Renata Lima - Gerente de Atendimento (head of support)\n",
        "note",
        "notes",
    )
    found = _by_name(_people(_harrow(), note))
    assert found["Tiago Moura"].title == "CFO"
    assert "Renata Lima" in found and "Gerente de Atendimento" not in found


def test_round_robin_introductions_name_numbered_speakers() -> None:
    transcript = Passage(
        "s1",
        "Speaker 1: Sure. Yeah. Rita Hale, VP of finance at Harrow Mills.\n"
        "Speaker 2: Hi everyone, I'm Ola Berg, solutions engineer at Moldwise.\n"
        "Speaker 3: Thanks Rita. So the plan for today.\n",
        "transcript",
        "call",
        meta={"speakers": ["Speaker 1", "Speaker 2", "Speaker 3"]},
    )
    found = _read(_harrow(), transcript)
    assert found["Rita Hale"].title == "VP of finance at Harrow Mills"
    assert found["Ola Berg"].side is Side.vendor
    assert "Thanks Rita" not in found


def test_a_chat_visitor_says_who_they_are_after_a_greeting_in_a_later_turn() -> None:
    """A website chat's visitor types "pricing" first; who they are comes after the agent
    joins, behind a greeting to the agent by name."""
    chat = Passage(
        "c1",
        "Visitor 5521: pricing\n"
        "Sam from Moldwise: Hi! Sam here from the Moldwise sales team.\n"
        "Visitor 5521: hi sam. Rita Hale, I run the front office at Harrow Mills, we have a trial.\n"
        "Visitor 5521: Thanks Sam. So is the trial extendable?\n",
        "transcript",
        "chat",
        meta={"speakers": ["Visitor 5521", "Sam from Moldwise"]},
    )
    found = _read(_harrow(), chat)
    assert found["Rita Hale"].title == "runs the front office at Harrow Mills"
    assert "Visitor 5521" not in found and "Thanks Sam" not in found


def test_people_our_side_brings_to_a_call_are_ours() -> None:
    transcript = Passage(
        "s1",
        "Jon Eide: So from our side I have Ola Berg with me, she set up the sandbox.\n"
        "Jon Eide: I want to introduce Tove. Tove is your onboarding manager from now on.\n"
        "Tove Lund: Hi Rita, nice to meet you.\nRita Hale: Hello both, we need the pilot live in June.",
        "transcript",
        "call",
        meta={"speakers": ["Jon Eide", "Tove Lund", "Rita Hale"]},
    )
    found = _read(_harrow(), transcript)
    assert found["Ola Berg"].side is Side.vendor
    assert found["Tove Lund"].side is Side.vendor
    assert found["Rita Hale"].side is Side.customer


def test_a_guest_we_bring_is_ours_whatever_their_address_unless_it_is_the_accounts() -> None:
    """The owner is a name only, so our domain is not known: the person our rep brings is ours
    by the words, while an address of the account keeps its person the customer's."""
    deal = Deal(deal_id="d", account="Harrow Mills", owner="Jon Eide")
    transcript = Passage(
        "s1",
        "Jon Eide: From our side I have Ola Berg with me, and my colleague Rita Hale from finance.\n"
        "Ola Berg: Hi all, I built the sandbox.\nRita Hale: Hello, we need the pilot live in June.",
        "transcript",
        "call",
        meta={
            "speakers": ["Jon Eide", "Ola Berg", "Rita Hale"],
            "speaker_emails": {
                "Ola Berg": "ola.berg@moldwise.example",
                "Rita Hale": "rita.hale@harrowmills.example",
            },
        },
    )
    found = _read(deal, transcript)
    assert found["Ola Berg"].side is Side.vendor
    assert found["Rita Hale"].side is Side.customer


def test_a_surname_in_capitals_is_not_taken_for_post_nominals() -> None:
    from briefgen.people import _signed_name

    assert _signed_name(["Yui SATO", "Head of IT"], "yui.sato@harrowmills.example") == ("Yui SATO", 0)
    assert _signed_name(["Dr Aoife Mulcahy PhD", "CTO"], "a.mulcahy@harrowmills.example") == (
        "Aoife Mulcahy",
        0,
    )
    assert _signed_name(["Tom Hale MBA"], "tom@harrowmills.example") == ("Tom Hale", 0)


def test_a_short_form_of_a_first_name_is_the_full_name_it_stands_for() -> None:
    """ "Dan" and "Con" on a call are the Daniel Rourke and Cornelius Ahern of the mails, when
    no one else in the deal could be meant; a name that is no short form stays apart."""
    mail = _mail(
        "e1",
        "Thanks all.\n\nDaniel Rourke\nPlant Manager, Harrow Mills",
        "Daniel Rourke",
        "daniel.rourke@harrowmills.example",
        cc=[{"name": "Cornelius Ahern", "email": "con.ahern@harrowmills.example"}],
    )
    call = Passage(
        "t1",
        "Dan: The night shift is the worry.\nCon: Budget is signed off.\nBea: I'll take the training.",
        "transcript",
        "call",
        meta={"speakers": ["Dan", "Con", "Bea"]},
    )
    people = _read(_harrow(), mail, call)
    assert "Dan" not in people and "Con" not in people
    assert any(q.startswith("Dan: The night shift") for _, q in people["Daniel Rourke"].quotes)
    assert any(q.startswith("Con: Budget") for _, q in people["Cornelius Ahern"].quotes)
    assert "Bea" in people  # Beatrix or Rebecca? no full name here to stand for


def test_a_name_in_bold_in_a_list_is_a_person_whatever_their_part() -> None:
    note = Passage(
        "n1",
        "## Who's who\n- **Steve Kinsella** — union convenor, will block if tracking is vague.\n"
        "- **Data Migration** — two weeks, Harrow's side.\n",
        "note",
        "review",
    )
    people = _read(_harrow(), note)
    assert people["Steve Kinsella"].side is Side.customer
    assert "Data Migration" not in people


def test_recipients_quoted_by_name_alone_are_people_of_the_account() -> None:
    """An Outlook quote lists recipients without addresses; a distribution list is no person,
    and someone the deal mails who is not ours is the customer's."""
    from briefgen.ingest.loaders import _recipients

    cc = _recipients("Jon Eide; Priya Raman; Finance Team")
    assert cc == [{"name": "Jon Eide"}, {"name": "Priya Raman"}, {"name": "Finance Team"}]
    mail = _mail(
        "e1",
        "Order form attached.",
        "Jon Eide",
        "jon@moldwise.example",
        to=[{"name": "IT Team", "email": "it@harrowmills.example"}],
        cc=cc,
    )
    people = _read(_harrow(), mail)
    assert people["Priya Raman"].side is Side.customer
    assert "Finance Team" not in people and "IT Team" not in people


def test_our_mailboxes_are_ours_once_we_know_our_name_from_the_owner() -> None:
    """The owner is named without an address, and our name comes from the chat ("Sam from
    Moldwise"): our support agent writing from support@moldwise… is ours, and our billing
    mailbox and bot, read before our name was known, are no people at all."""
    deal = Deal(deal_id="d", account="Harrow Mills", owner="Sam Okoro")
    chat = Passage(
        "c1",
        "Moldwise Assistant: Hi there, I'm the Moldwise Assistant.\n"
        "Sam from Moldwise: Hi! Sam here from the Moldwise sales team.\n",
        "transcript",
        "chat",
        meta={"speakers": ["Moldwise Assistant", "Sam from Moldwise"]},
    )
    billing = _mail("e1", "Your invoice is attached.", "Moldwise Billing", "billing@moldwise.example")
    support = _mail("e2", "The sync is fixed now.", "Kayla R. (Moldwise Support)", "support@moldwise.example")
    found = _read(deal, chat, billing, support)
    assert found["Sam Okoro"].side is Side.vendor
    assert found["Kayla R."].side is Side.vendor
    assert "Moldwise Billing" not in found and "Moldwise Assistant" not in found


def test_an_initial_is_spelled_out_by_the_address() -> None:
    mail = _mail(
        "m1",
        "Attached is the signed order form.",
        "Jon Eide",
        "jon@moldwise.example",
        cc=[
            {"name": "K. Osei", "email": "kwame.osei@harrowmills.example"},
            {"name": "B. Lund", "email": "tomas.lund@harrowmills.example"},  # not the same given name
            {"name": "R. Adjei", "email": "radjei@harrowmills.example"},  # the address spells nothing out
        ],
    )
    names = {p.name for p in _people(_harrow(), mail).people.values()}
    assert "Kwame Osei" in names
    assert "B. Lund" in names and "R. Adjei" in names


def test_a_one_word_trade_in_brackets_names_a_person() -> None:
    note = Passage(
        "n1",
        "- 6 users: Marta, Joe Pryce (bookkeeper), the crews\n"
        "- pricing tool (later) and Harbour Street (resident) parking\n"
        "- onboarding booked, Tom Rahimi (estimator) joins for the quoting part",
        "note",
        "rep notes",
    )
    people = _by_name(_people(_harrow(), note))
    assert people["Joe Pryce"].title == "bookkeeper"
    assert people["Tom Rahimi"].title == "estimator"
    assert "Harbour Street" not in people  # not a first name: a street, whatever the brackets say


def test_everyone_writing_in_our_internal_channel_is_ours() -> None:
    channel = (
        "Slack export — #deal-harrow-mills (Moldwise internal, private)\n"
        "[09:02] @jon.eide: proposal went to Harrow today, 40 seats\n"
        "[09:05] @mira.santos: I'll take the SSO questions from their IT\n"
        "[09:07] @jon.eide: thanks. Dara Quinn on their side signs\n"
    )
    shared = channel.replace("Moldwise internal, private", "shared with Harrow Mills").replace(
        "@mira.santos", "@lee.hart"
    )
    ours = _by_name(_people(_harrow(), Passage("c1", channel, "note", "chat")))
    assert ours["Mira Santos"].side is Side.vendor
    theirs = _by_name(_people(_harrow(), Passage("c2", shared, "note", "chat")))
    assert theirs["Lee Hart"].side is not Side.vendor


def test_senders_and_chat_authors_known_by_address_handle_or_title_take_their_side() -> None:
    """An address with no display name, a handle with an initial ("pia.k", "tjensen",
    "@rosa.l"), a company in the chat label and a "Dr." before a name all find the person,
    or at least the side, that wrote the line."""

    def mail(sid: str, text: str, name: str, email: str) -> Passage:
        # As the mail loader writes it: the author is the display name, else the address.
        meta = {"from": {"name": name, "email": email}}
        return Passage(sid, text, "email", "mail", "2027-01-04", name or email, meta=meta)

    deal = _harrow()
    passages = [
        mail(
            "e1",
            "Hi Tove,\n\nThe EU region is confirmed.\n\nPia Kask",
            "Pia Kask",
            "pia.kask@moldwise.example",
        ),
        mail(
            "e2",
            "Pia,\n\nThanks, that settles it for our DPO.\n\nTove",
            "Tove Jensen",
            "tove.jensen@harrowmills.example",
        ),
        mail(
            "e3",
            "Jon,\n\nI take over the rollout from Tove.\n\nRosa",
            "Rosa Lind",
            "rosa.lind@harrowmills.example",
        ),
        mail("e4", "Your first invoice will be dated 1 February 2027.", "", "billing@moldwise.example"),
        mail("e5", "We can go live once the SSO test passes.", "", "rosa.lind@harrowmills.example"),
        Passage(
            "n1",
            "[09:58] pia.k: the EU region goes live next week\n"
            "[10:02] tjensen: fine by us, we need it before the pilot\n"
            "[10:05] @rosa.l: and SSO at go-live please\n"
            "[10:07] kai.m (Moldwise): I will book the SSO test for Tuesday",
            "note",
            "chat export",
            "2027-01-09",
        ),
    ]
    reading = read_deal(deal, passages)
    side = {s.text: reading.side_of.get(s.speaker or "") for s in reading.sentences}
    assert side["Your first invoice will be dated 1 February 2027."] is Side.vendor
    assert side["We can go live once the SSO test passes."] is Side.customer
    assert side["the EU region goes live next week"] is Side.vendor
    assert side["fine by us, we need it before the pilot"] is Side.customer
    assert side["and SSO at go-live please"] is Side.customer
    assert side["I will book the SSO test for Tuesday"] is Side.vendor
    assert reading.people.find("tjensen") is reading.people.find("Dr. Tove Jensen") is not None
    assert reading.people.find("rosa.lind@harrowmills.example") is reading.people.find("Rosa Lind")


def test_a_transcript_speaker_labelled_with_a_company_speaks_for_that_side_and_is_not_quoted() -> None:
    call = Passage(
        "t1",
        "Jon Eide (Moldwise): We will import five years of history for you.\n"
        "Olu Bakare (Harrow Mills): Our IT team needs SSO on day one.",
        "transcript",
        "call",
        "2027-01-04",
    )
    reading = read_deal(_harrow(), [call])
    said = {s.text: (s.speaker, reading.side_of.get(s.speaker or "")) for s in reading.sentences}
    assert said["We will import five years of history for you."] == ("Jon Eide (Moldwise)", Side.vendor)
    assert said["Our IT team needs SSO on day one."] == ("Olu Bakare (Harrow Mills)", Side.customer)


def test_a_title_said_as_ours_or_theirs_is_the_title_alone() -> None:
    mail = _mail(
        "m1",
        "Greg Hollis (our CFO) signs off on anything over 50k. Nadia Osei, their project lead, runs it.",
        "Ada Berg",
        "ada@harrowmills.example",
    )
    people = _read(_harrow(), mail)
    assert people["Greg Hollis"].title == "CFO"
    assert people["Greg Hollis"].side is Side.customer


def test_someone_who_gives_their_own_title_has_it() -> None:
    call = Passage(
        "t1",
        "Nadia Osei: Hi all, I'm Director of Operations here, so the rollout sits with me.\n"
        "Omar Haddad: And I'm the lead on the integration side.\n",
        "transcript",
        "call",
        meta={"speakers": ["Nadia Osei", "Omar Haddad"]},
    )
    mail = _mail(
        "m1",
        "Hello Jon,\n\nI am the new IT manager at Harrow Mills and will own SSO.",
        "Ola Berg",
        "ola@harrowmills.example",
    )
    people = _read(_harrow(), call, mail)
    assert people["Nadia Osei"].title == "Director of Operations"
    assert people["Ola Berg"].title == "IT manager"
    assert not people["Omar Haddad"].title  # "the lead on ..." is what he does, not a title

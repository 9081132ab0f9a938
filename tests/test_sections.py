"""The section classifier and the thread rebuilder, on text written for these tests (not taken
from the sentence bank or from any eval deal)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from briefgen.errors import ConfigError
from briefgen.ingest.threads import display_name, unwrap_thread
from briefgen.sections import LABELS, MODEL_PATH, SectionModel, bank_hash, classify, fit, load_bank

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("They want to stop reconciling freight invoices by hand every Friday.", "goal"),
        ("Their security team has not yet approved the SAML integration and may block launch.", "risk"),
        ("We promised them three remote training sessions at no charge.", "commitment"),
        ("Go-live is scheduled for 9 March 2027.", "timeline"),
        ("Thanks everyone, talk soon!", "none"),
        ("Who will own the rollout once Ingrid moves to the Oslo office?", "open_question"),
    ],
)
def test_classifier_reads_unseen_wording(text: str, label: str) -> None:
    [probs] = classify([text])
    assert max(probs, key=lambda k: probs[k]) == label, probs


def test_shipped_model_matches_the_bank() -> None:
    """The weights in the package were trained on the bank as it is in the repository."""
    rows = load_bank(ROOT / "evals" / "sentence_bank")
    assert len(rows) >= 1500
    assert SectionModel.load(MODEL_PATH).bank_hash == bank_hash(rows)


def test_fit_separates_simple_classes() -> None:
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(-2, 1, (50, 4)), rng.normal(2, 1, (50, 4))])
    y = np.array([0] * 50 + [1] * 50)
    w, b = fit(x, y, 2, steps=200)
    assert ((x @ w + b).argmax(axis=1) == y).mean() > 0.95
    assert set(LABELS) >= {"goal", "none", "risk"}


def test_word_features_count_words_and_pairs_the_bank_shares() -> None:
    """A word or pair only a few sentences use is no column; each sentence's row has one length
    however many words it has; numbers are one word and letters need not be ASCII."""
    from briefgen.sections import WORD_WEIGHT, vocabulary, word_features, words

    assert words("Nobody has been named, 3 weeks.") >= {"nobody", "has been", "0", "0 weeks"}
    assert "don't" in words("We don't have an API") and "müller" in words("Frau Müller signs")
    texts = ["only one admin", "only one admin today", "only the admin", "one admin left"]
    vocab = vocabulary(texts, min_sentences=3)
    assert vocab == ("admin", "one", "one admin", "only")
    x = word_features(["Only ONE admin", "the weather"], vocab)
    assert np.allclose(np.linalg.norm(x[0]), WORD_WEIGHT) and not x[1].any()
    assert x[0, vocab.index("one admin")] > 0


def test_shipped_model_reads_its_own_vocabulary() -> None:
    """The weights have one row per feature: the sentence's, then one per word of its vocabulary."""
    from briefgen.sections import features

    m = SectionModel.load(MODEL_PATH)
    assert len(m.vocab) > 1000
    assert m.weights.shape[0] == features(["a line"]).shape[1] + len(m.vocab)


def test_training_writes_a_model_that_reads_its_words(tmp_path: Path) -> None:
    """`train` on a small bank of two writers: the saved model's vocabulary is the bank's words
    used often enough, and its weights have a row for each."""
    import json

    from briefgen.sections import features, train

    bank = tmp_path / "bank"
    bank.mkdir()
    lines = {
        "writer-x": [
            ("Only one person there knows the old system.", "risk"),
            ("Nobody there has time for the migration.", "risk"),
            ("Only the night shift has no training yet.", "risk"),
            ("We will run two training days on site.", "commitment"),
            ("We will send the import template this week.", "commitment"),
            ("We will waive the setup fee.", "commitment"),
        ],
        "writer-y": [
            ("Only their finance lead can approve it and nobody else.", "risk"),
            ("Nobody has been named to own the rollout.", "risk"),
            ("Only two admins know the payroll side and nobody documents it.", "risk"),
            ("It works only on the office wifi; nobody has tried it offline.", "risk"),
            ("We will host the data in the EU region.", "commitment"),
            ("We will give them a sandbox for testing.", "commitment"),
        ],
    }
    for writer, rows in lines.items():
        (bank / f"{writer}.jsonl").write_text(
            "".join(json.dumps({"text": t, "label": label}) + "\n" for t, label in rows), encoding="utf-8"
        )
    out = tmp_path / "model.npz"
    result = train(bank, out=out, report=False)
    assert set(result["held_out_writer_accuracy"]) == {"writer-x", "writer-y"}
    m = SectionModel.load(out)
    assert {"we will", "only", "nobody"} <= set(m.vocab) and "sandbox" not in m.vocab
    assert m.weights.shape[0] == features(["a line"]).shape[1] + len(m.vocab)
    # Measuring some writers only: the others are not held out, a writer not in the bank is named.
    only = train(bank, out=out, report=False, held_out=("writer-y",))
    assert set(only["held_out_writer_accuracy"]) == {"writer-y"}
    with pytest.raises(ConfigError, match="writer-z"):
        train(bank, out=out, report=False, held_out=("writer-z",))


def test_quoted_replies_become_messages_in_several_languages() -> None:
    body = (
        "Einverstanden, bitte Vertrag schicken.\n\n"
        "Am 02.03.2027 um 10:15 schrieb Berger, Anna <anna.berger@example.at>:\n"
        "> The yearly price is now 12.500 € and the onboarding workshop is included.\n"
        ">\n"
        "> Le 28 févr. 2027 à 09:00, Luc Martin <luc@example.fr> a écrit :\n"
        ">> We need the French interface before the pilot starts.\n"
    )
    top, quoted = unwrap_thread(body)
    assert top.strip() == "Einverstanden, bitte Vertrag schicken."
    assert [q.email for q in quoted] == ["anna.berger@example.at", "luc@example.fr"]
    assert quoted[0].author == "Anna Berger" and quoted[0].date == "2027-03-02"
    assert "12.500 €" in quoted[0].text and "French interface" not in quoted[0].text
    assert quoted[1].text == "We need the French interface before the pilot starts."


def test_outlook_header_blocks() -> None:
    body = (
        "Approved on our side.\n\n"
        "-----Original Message-----\n"
        "From: Okafor, Chidi <chidi@example.ng>\n"
        "Sent: Monday, January 11, 2027 8:02 AM\n"
        "To: Sales <sales@example.com>\n"
        "Subject: RE: order form\n\n"
        "We will include the payroll connector and two onsite days.\n"
    )
    top, [msg] = unwrap_thread(body)
    assert top.strip() == "Approved on our side."
    assert (msg.author, msg.date, msg.kind) == ("Chidi Okafor", "2027-01-11", "forward")
    assert display_name("Lindqvist, Sofia") == "Sofia Lindqvist"


def test_context_stays_inside_its_source() -> None:
    """The sentence before, the one after and the source's mean come from the same source only."""
    from briefgen.sections import features

    texts = ["The data import is late.", "Kickoff is on 4 May.", "We won the deal.", "Invoices go to AP."]
    x = features(texts, ["a", "a", "b", None])
    own, before, after, whole = x[:, :384], x[:, 390:774], x[:, 774:1158], x[:, 1158:]
    assert np.allclose(before[1], own[0]) and np.allclose(after[0], own[1])
    assert np.allclose(before[0], own[0]) and np.allclose(after[1], own[1])  # nothing before or after
    assert np.allclose(whole[0], (own[0] + own[1]) / 2)
    assert np.allclose(before[2], own[2]) and np.allclose(whole[2], own[2])  # alone in its source
    assert np.allclose(whole[3], own[3])  # read alone


def test_context_changes_what_a_vague_line_means() -> None:
    """A line that says little alone is read with the sentences around it."""
    from briefgen.sections import features

    texts = [
        "Their HR system has no API and nobody there knows how to export from it.",
        "That's going to be the hard part.",
    ]
    alone = features(texts[1:])
    together = features(texts, ["mail", "mail"])
    assert alone.shape[1] == together.shape[1]
    assert not np.allclose(alone[0], together[1])
    assert np.allclose(alone[0][:390], together[1][:390])  # its own embedding and shape unchanged


def _sentences(text: str, kind: str) -> list[str]:
    """The sentences the splitter reads in `text` as a source of `kind` ("note", "email")."""
    from briefgen.engines.base import Passage
    from briefgen.sentences import split_passage

    return [s.text for s in split_passage(Passage("s1", text, kind, "t"))]


def test_wrapped_mail_lines_are_one_sentence_and_stay_verbatim() -> None:

    body = (
        "Hi Tomasz,\n\n"
        "Rotterdam moves to wave 2 because the customs broker integration is not\n"
        "ready, and their finance lead will only sign off once it is tested in the\n"
        "sandbox. Thanks for your patience.\n"
        "- kickoff: 4 May\n"
        "- training for the depot team\n"
    )
    got = _sentences(body, "email")
    assert got[0] == (
        "Rotterdam moves to wave 2 because the customs broker integration is not\n"
        "ready, and their finance lead will only sign off once it is tested in the\n"
        "sandbox."
    )
    assert "kickoff: 4 May" in got and "training for the depot team" in got
    assert all(t in body for t in got)


def test_a_wrapped_line_goes_on_before_a_number_or_a_name_and_under_its_list_item() -> None:
    """A mail wrapped at a fixed width breaks wherever the next word does not fit: before a
    date ("… will be dated" / "3 May 2027") or a capitalised word. A list item's hanging indent
    is the same item. A short line with no full stop is still a line of its own."""

    body = (
        "Hi Ruth, the signed form is attached and countersigned on our side. Your invoice\n"
        "will be dated 3 May 2027 and will quote the PO, payable within 30 days net, and\n"
        "the onboarding call is booked for the week after with your whole finance team\n"
        "Monday to Wednesday, mornings only as you asked on the phone last Friday.\n"
        "\n"
        "Open points:\n"
        "1. The SSO test runs in your sandbox before we touch production\n"
        "   January 12, at the latest, with your identity team and\n"
        "   Rosa on the call\n"
        "2. Training\n"
        "Thanks\n"
    )
    got = _sentences(body, "email")
    assert (
        "Your invoice\nwill be dated 3 May 2027 and will quote the PO, payable within 30 days net, and\n"
        "the onboarding call is booked for the week after with your whole finance team\n"
        "Monday to Wednesday, mornings only as you asked on the phone last Friday."
    ) in got
    assert (
        "The SSO test runs in your sandbox before we touch production\n   January 12, at the latest, "
        "with your identity team and\n   Rosa on the call"
    ) in got
    assert all(t in body for t in got)
    # Not wrapped: a note's lines stay apart, even three of about one length, and so does a
    # mail's "Attendees:" line.
    note = (
        "Attendees: Ana Roe (VP Ops, Harrow), Olu Bakare (PMO Lead, Harrow)\n"
        "Ana wants one queue for every exception across the depots\n"
        "Olu owns the rollout day to day, Ana signs off on each wave\n"
        "Budget approved at 40k\n"
    )
    got = _sentences(note, "note")
    assert got == [
        "Ana wants one queue for every exception across the depots",
        "Olu owns the rollout day to day, Ana signs off on each wave",
        "Budget approved at 40k",
    ]
    got = _sentences(note, "email")
    assert "Ana wants one queue for every exception across the depots" in got


def test_a_note_wrapped_by_an_editor_goes_on_before_an_amount_or_a_number() -> None:
    """Notes typed in an editor that wraps at a fixed width break wherever the next word does
    not fit, "$120k" and "35" included; a note counts as wrapped only when its lines also break
    mid-sentence elsewhere."""

    note = (
        "Call with the ops team, notes typed up after the call by Lee on Friday.\n"
        "Their controller said the budget for year one is capped at roughly\n"
        "$120k and procurement needs the signed order form before the board\n"
        "meets, which is the second week of March according to Dana.\n"
        "Dana wants the dispatch team off spreadsheets by the summer peak and\n"
        "35 dispatchers trained before the first depot goes live in May.\n"
    )
    got = _sentences(note, "note")
    assert (
        "Their controller said the budget for year one is capped at roughly\n$120k and procurement "
        "needs the signed order form before the board\nmeets, which is the second week of March "
        "according to Dana."
    ) in got
    assert len(got) == 3 and all(t in note for t in got)
    # Lines of about one length that each end a thought stay apart.
    shorthand = (
        "Controller confirmed the year one budget is capped at roughly 120k\n"
        "Procurement needs the signed order form before the board meets\n"
        "Dana wants the dispatch team off spreadsheets by the summer peak\n"
        "35 dispatchers to be trained before the first depot goes live\n"
    )
    assert len(_sentences(shorthand, "note")) == 4


def test_an_abbreviation_or_an_initial_does_not_end_a_sentence() -> None:
    """ "approx.", "i.e.", "excl." and an initial are full stops inside a sentence: a price
    cut at them loses its amount, and a quote of half a line reads as a fragment."""

    body = (
        "Licences: CAD 18 per user per month (approx.\n"
        "240 users), i.e. CAD 51,840 a year excl. GST. Sign-off by Dr. Lena Moss and\n"
        "J. Whitfield in procurement. Kick-off follows the same week.\n"
    )
    got = _sentences(body, "email")
    assert got == [
        "Licences: CAD 18 per user per month (approx.\n240 users), i.e. CAD 51,840 a year excl. GST.",
        "Sign-off by Dr. Lena Moss and\nJ. Whitfield in procurement.",
        "Kick-off follows the same week.",
    ]


def test_a_title_line_heads_the_indented_or_bulleted_block_under_it() -> None:
    from briefgen.passage import Passage
    from briefgen.sentences import split_passage

    text = (
        "Hi Ana,\n\nSumming up what we agreed on the call.\n\n"
        "**Deliverables**\n"
        "  - Migration of the supplier master data by end of May\n"
        "  - Two on-site training days for the planners\n\n"
        "Open points:\n"
        "- Who signs off the test plan on your side\n\n"
        "Talk soon, and thanks again for the quick turnaround.\n"
    )
    heads = {s.text: s.heading for s in split_passage(Passage("s1", text, "email", "mail"))}
    assert heads["Migration of the supplier master data by end of May"] == "deliverables"
    assert heads["Two on-site training days for the planners"] == "deliverables"
    assert heads["Who signs off the test plan on your side"] == "open points"
    assert heads["Talk soon, and thanks again for the quick turnaround."] == ""
    assert heads["Summing up what we agreed on the call."] == ""


def test_headings_name_sections_by_meaning() -> None:
    from briefgen.headings import heading_section

    assert heading_section("Key milestones") == "timeline"
    assert heading_section("Open points") == "open_questions"
    assert heading_section("Action items") == "next_steps"
    assert heading_section("How we measure success") == "success_criteria"
    # A heading phrased as a sentence is nearer its section than a noun is, but less near.
    assert heading_section("What we're committing to") == "commitments"
    assert heading_section("Background") is None
    assert heading_section("Attendees") is None
    assert heading_section("Pricing") is None and heading_section("Scope") is None
    assert heading_section("") is None


def test_a_heading_that_agrees_with_an_unsure_classifier_settles_it() -> None:
    """Under "Next steps" a terse line the classifier reads as a next step, but below its usual
    confidence, is one for certain; the same line under no heading keeps the classifier's
    doubt. (The usefulness model, where it ranks the section, weighs the heading with the rest;
    the certainty ranks a section it has no model for.)"""
    from briefgen.engines.extractive import MIN_CONFIDENCE, candidates
    from briefgen.people import People
    from briefgen.reading import Reading
    from briefgen.schema import Deal
    from briefgen.sentences import Sentence

    deal = Deal(deal_id="d")
    unsure = {label: 0.0 for label in LABELS} | {"next_step": 0.22, "none": 0.2, "commitment": 0.18}
    assert unsure["next_step"] < MIN_CONFIDENCE

    def certainty(heading: str) -> list[float]:
        s = Sentence("n1", "biweekly check-in thru rollout", "note", "2027-01-05", None, heading, 0)
        reading = Reading(deal, [], [s], [s], [], [], People(deal), _sections=[dict(unsure)])
        return [p for p, _ in candidates(reading)["next_step"]]

    assert certainty("next steps") == [1.0]
    assert certainty("") == [0.22]


def test_a_close_second_reading_as_promise_or_dated_event_is_a_candidate_for_both() -> None:
    """A line read first as a timeline event, a promise a close second, is a candidate for both,
    and so is a promise with a dated event a close second; a person as unsure as that second
    reading is not one for the people (a section the usefulness model does not rank)."""
    from briefgen.engines.extractive import SECOND_CONFIDENCE, candidates
    from briefgen.people import People
    from briefgen.reading import Reading
    from briefgen.schema import Deal
    from briefgen.sentences import Sentence

    deal = Deal(deal_id="d")
    line = "Tomasz runs the payroll parallel test with you in the week of 12 April"

    def sections(second: str, first: str = "timeline") -> dict[str, list[str]]:
        probs = {label: 0.0 for label in LABELS} | {first: 0.55, second: 0.22, "none": 0.2}
        assert probs[second] < SECOND_CONFIDENCE
        s = Sentence("n1", line, "note", None, None, "", 0)
        reading = Reading(deal, [], [s], [s], [], [], People(deal), _sections=[probs])
        return {k: [x.text for _, x in v] for k, v in candidates(reading).items()}

    both = sections("commitment")
    assert both["timeline"] == both["commitment"] == [line]
    both = sections("timeline", first="commitment")
    assert both["timeline"] == both["commitment"] == [line]
    assert sections("people")["people"] == []


def test_a_later_fuller_line_takes_a_capped_place_before_an_earlier_fragment() -> None:
    """More risks than the section keeps, read about as surely: the line said last and stated
    in full is kept ahead of a short one said first, though the classifier is a little surer
    of the short one."""
    from briefgen.engines.extractive import SECTION_CAPS, _sections
    from briefgen.people import People
    from briefgen.reading import Reading
    from briefgen.schema import Deal
    from briefgen.sentences import Sentence

    deal = Deal(deal_id="d")
    early = [
        "Budget owner unclear.",
        "IT is slow to reply.",
        "Legal is backlogged.",
        "Champion is on leave.",
        "Two sites resist change.",
        "Data is messy.",
        "Audit dates may move.",
    ]
    assert len(early) > SECTION_CAPS["risk"]
    full = (
        "Their finance director said on the last call that if the ERP upgrade slips past March, "
        "the rollout to the second plant waits until the autumn."
    )
    texts = [*early, full]
    sentences = [Sentence("n1", text, "note", None, None, "", i) for i, text in enumerate(texts)]
    probs = [{label: 0.0 for label in LABELS} | {"risk": 0.62, "none": 0.38} for _ in early]
    probs.append({label: 0.0 for label in LABELS} | {"risk": 0.55, "none": 0.45})
    reading = Reading(deal, [], sentences, sentences, [], [], People(deal), _sections=probs)
    kept = [s.text for s in _sections(reading)["risk"]]
    assert len(kept) == SECTION_CAPS["risk"]
    assert full in kept
    assert early[0] not in kept


def test_a_price_the_customer_named_never_takes_the_place_of_one_we_stated() -> None:
    """The terms section keeps its most certain few sentences; the customer's own talk of
    price, however certain, is left out before that cap, so our one stated price stays."""
    from briefgen.engines.extractive import SECTION_CAPS, ExtractiveEngine
    from briefgen.people import People
    from briefgen.reading import Reading
    from briefgen.schema import Deal, Side
    from briefgen.sentences import Sentence

    deal = Deal(deal_id="d")
    theirs = [
        Sentence(
            "e1",
            f"Our budget line {i} tops out at {20 + i},000 a year.",
            "email",
            "2027-01-05",
            "Cara",
            "",
            i,
        )
        for i in range(SECTION_CAPS["terms"] + 2)
    ]
    n = len(theirs)
    ours = Sentence(
        "e2", "Price: 18,400 a year for 40 seats, held for 24 months.", "email", "2027-01-06", "Vic", "", n
    )
    sentences = [*theirs, ours]
    probs = [{label: 0.0 for label in LABELS} | {"terms": 0.95, "none": 0.05} for _ in theirs]
    probs.append({label: 0.0 for label in LABELS} | {"terms": 0.6, "none": 0.4})
    reading = Reading(
        deal,
        [],
        sentences,
        sentences,
        [],
        [],
        People(deal),
        side_of={"Cara": Side.customer, "Vic": Side.vendor},
        _sections=probs,
    )
    found = ExtractiveEngine().find(reading)
    commitments = [f.ids for f in found.items if f.section == "commitments"]
    assert commitments == [(n,)]


def test_a_price_a_later_one_replaced_never_takes_the_place_of_one_that_holds() -> None:
    """Our prices revised more times than the section keeps, each stated with more certainty
    than the last term: the final price and the payment term are kept, the replaced prices
    take no place."""
    from briefgen.engines.extractive import SECTION_CAPS, ExtractiveEngine
    from briefgen.people import People
    from briefgen.reading import Reading
    from briefgen.schema import Deal
    from briefgen.sentences import Sentence

    deal = Deal(deal_id="d")
    prices = [52_000 - 1_200 * i for i in range(SECTION_CAPS["terms"] + 1)]
    sentences = [
        Sentence("n1", f"Price: ${p:,} a year for 60 seats.", "note", f"2027-01-{i + 1:02d}", None, "", i)
        for i, p in enumerate(prices)
    ]
    term = Sentence(
        "n1", "Invoiced annually in advance, net 30.", "note", "2027-01-28", None, "", len(prices)
    )
    sentences.append(term)
    probs = [{label: 0.0 for label in LABELS} | {"terms": 0.9, "none": 0.1} for _ in prices]
    probs.append({label: 0.0 for label in LABELS} | {"terms": 0.5, "none": 0.5})
    reading = Reading(deal, [], sentences, sentences, [], [], People(deal), _sections=probs)
    found = ExtractiveEngine().find(reading)
    kept = [sentences[f.ids[0]].text for f in found.items if f.section == "commitments"]
    assert kept == [f"Price: ${prices[-1]:,} a year for 60 seats.", "Invoiced annually in advance, net 30."]


def test_the_timeline_keeps_events_ahead_of_the_handover() -> None:
    """Of sentences the classifier is sure are timeline: an undated one, a line that is only a
    date (a chat's day separator) and one dated before the deal closed (sales history) never
    take the place of a milestone the CSM inherits."""
    from briefgen.engines.extractive import SECTION_CAPS, ExtractiveEngine
    from briefgen.people import People
    from briefgen.reading import Reading
    from briefgen.schema import Deal
    from briefgen.sentences import Sentence

    deal = Deal(deal_id="d", close_date="2027-02-01")
    noise = [
        "We should get going on this soon enough.",
        "──── Tuesday, March 9th ────",
        "=== 2027-03-10 ===",
        "Quote sent to procurement on 12 Jan 2027.",
    ] * SECTION_CAPS["timeline"]
    events = ["Warehouse cutover on 14 June 2027, both shifts.", "Driver training in the week of 3 May 2027."]
    texts = [*noise, *events]
    sentences = [Sentence("n1", t, "note", "2027-02-01", None, "", i) for i, t in enumerate(texts)]
    probs = [{label: 0.0 for label in LABELS} | {"timeline": 0.95, "none": 0.05} for _ in noise]
    probs += [{label: 0.0 for label in LABELS} | {"timeline": 0.5, "none": 0.5} for _ in events]
    reading = Reading(deal, [], sentences, sentences, [], [], People(deal), _sections=probs)
    found = ExtractiveEngine().find(reading)
    timeline = [texts[f.ids[0]] for f in found.items if f.section == "timeline"]
    assert timeline == events


def _promises(texts: list[str], probs: list[dict[str, float]], filler: int = 0) -> list[str]:
    """The commitments the extractive engine lists for these rep-note sentences, in a deal of
    `filler` more sentences that carry no finding."""
    from briefgen.engines.extractive import ExtractiveEngine
    from briefgen.people import People
    from briefgen.reading import Reading
    from briefgen.schema import Deal
    from briefgen.sentences import Sentence

    deal = Deal(deal_id="d")
    fill = [f"Call {i} of the evaluation." for i in range(filler)]
    sentences = [Sentence("n1", t, "note", None, None, "", i) for i, t in enumerate([*texts, *fill])]
    none = {label: 0.0 for label in LABELS} | {"none": 1.0}
    reading = Reading(
        deal, [], sentences, sentences, [], [], People(deal), _sections=[*probs, *[none] * filler]
    )
    found = ExtractiveEngine().find(reading)
    return [sentences[f.ids[0]].text for f in found.items if f.section == "commitments"]


def test_a_promise_said_again_in_other_words_is_listed_once() -> None:
    """A recap restates the call's promise and the order form restates the recap's price: each
    is listed once, the more certain reading kept, and a different promise is not taken for one."""
    texts = [
        "We will migrate your five years of service history at no charge.",
        "We'll migrate the five years of service history at no charge.",
        "Two on-site training days for your planners are included.",
        "Your price is held at $18,400 a year for 24 months.",
        "Price: $18,400 a year, held for 24 months.",
    ]
    commitment = [0.9, 0.8, 0.7, 0.6]
    probs = [{label: 0.0 for label in LABELS} | {"commitment": p, "none": 1 - p} for p in commitment]
    probs.append({label: 0.0 for label in LABELS} | {"terms": 0.95, "none": 0.05})
    assert _promises(texts, probs) == [texts[0], texts[2], texts[3]]


def test_a_bigger_deal_keeps_more_promises() -> None:
    """Eighteen different promises the classifier is equally sure of: a short deal lists the
    section's usual number, one ten times its length up to twice that."""
    from briefgen.engines.extractive import REFERENCE_SENTENCES, SECTION_CAPS

    texts = [
        "We will migrate five years of service history at no charge.",
        "Two on-site training days for your planners are included.",
        "Single sign-on with your identity provider comes at no extra cost.",
        "Your data stays in our Frankfurt region.",
        "A named onboarding manager stays with you until the third site is live.",
        "We waive the setup fee if you sign this quarter.",
        "The Polish interface ships before your go-live.",
        "We will build the payroll export to your bureau.",
        "Support is in French during business hours.",
        "We will join your monthly steering committee.",
        "Up to twenty extra seats can be added at the same rate.",
        "A 99.9% uptime SLA with service credits applies.",
        "We deliver the label printer integration by March.",
        "Our engineer sits in on your first month-end close.",
        "Quarterly business reviews with our VP of customer success are part of the plan.",
        "Your historic invoices are imported into the archive by our team.",
        "Mobile app access for the drivers is bundled with every licence.",
        "The API rate limit is raised to 600 calls a minute for your account.",
    ]
    probs = [{label: 0.0 for label in LABELS} | {"commitment": 0.8, "none": 0.2} for _ in texts]
    base = SECTION_CAPS["commitment"]
    assert len(_promises(texts, probs)) == base
    assert len(_promises(texts, probs, filler=REFERENCE_SENTENCES * 3)) == 2 * base


def test_the_largest_deal_s_promises_and_dates_fit_the_brief() -> None:
    """The brief keeps at most MAX_ITEMS per section, in the order they were said: caps that
    grew past it would cut the latest promises, the final terms, whatever their certainty."""
    from briefgen.assemble import MAX_ITEMS
    from briefgen.engines.extractive import _cap

    huge = 100_000
    assert _cap("commitment", huge) + _cap("terms", huge) <= MAX_ITEMS
    assert _cap("timeline", huge) <= MAX_ITEMS


def test_a_measure_said_in_two_places_is_one_criterion_with_both_halves() -> None:
    """Where a measure stands and where it must get to, said apart, make one criterion with its
    baseline from one sentence and its target from the other, led by the fuller of the two (a
    target and a date); another measure stays its own."""
    from briefgen.engines.extractive import ExtractiveEngine
    from briefgen.people import People
    from briefgen.reading import Reading
    from briefgen.schema import Deal
    from briefgen.sentences import Sentence

    deal = Deal(deal_id="d")
    texts = [
        "Month-end close is 9 days today.",
        "We should meet again after the audit.",
        "Month-end close down to 5 days by the Q4 2027 close.",
        "Touchless invoice rate of 65% by 30 September 2027.",
    ]
    sentences = [Sentence("n1", t, "note", "2027-01-05", None, "", i) for i, t in enumerate(texts)]
    measure = {label: 0.0 for label in LABELS} | {"success_criterion": 0.8, "none": 0.2}
    none = {label: 0.0 for label in LABELS} | {"none": 1.0}
    reading = Reading(
        deal, [], sentences, sentences, [], [], People(deal), _sections=[measure, none, measure, measure]
    )
    found = ExtractiveEngine().find(reading)
    criteria = {f.ids: f.fields for f in found.items if f.section == "success_criteria"}
    assert set(criteria) == {(2, 0), (3,)}
    assert (criteria[(2, 0)]["baseline"], criteria[(2, 0)]["target"]) == ("9 days", "5 days")


def test_our_recap_of_the_customers_aim_can_be_a_goal_and_our_own_aim_cannot() -> None:
    """Goals are the customer's. Our rep saying "your aim is ..." restates one; our rep saying
    what we aim for does not, nor does a question about it."""
    from briefgen.engines.extractive import ExtractiveEngine
    from briefgen.people import People
    from briefgen.reading import Reading
    from briefgen.schema import Deal, Side
    from briefgen.sentences import Sentence

    deal = Deal(deal_id="d")
    texts = [
        "So your aim is to get invoice matching from three days down to one by the June close.",
        "Our aim is to have the connector built before the summer holidays.",
        "Is your aim still the June close?",
    ]
    sentences = [Sentence("e1", t, "email", "2027-01-05", "Vic", "", i) for i, t in enumerate(texts)]
    reading = Reading(deal, [], sentences, sentences, [], [], People(deal), side_of={"Vic": Side.vendor})
    eligible = ExtractiveEngine().eligible(reading)
    assert [eligible("goal", s) for s in sentences] == [True, False, False]


def test_a_note_s_labelled_line_is_its_next_item_not_the_rest_of_the_last() -> None:
    """Shorthand notes start items in lower case with a label ("todo:", "open q:"); such a line
    after a long one is the next item. In a mail wrapped at a width it may be the rest of a
    sentence ("here's what we can / do: $4,200 ...")."""

    note = (
        "Leah: success = 90% of patients using digital intake within 60 days of go-live\n"
        "todo: CSM intro call w/ Leah wk of 11/2\n"
        "pilot clinic = Elm St, pilot starts 11/16/26\n"
    )
    got = _sentences(note, "note")
    assert got == [
        "Leah: success = 90% of patients using digital intake within 60 days of go-live",
        "todo: CSM intro call w/ Leah wk of 11/2",
        "pilot clinic = Elm St, pilot starts 11/16/26",
    ]
    mail = (
        "Totally understand. I went to bat with my manager and here's what we can\n"
        "do: $4,200 for the first year if it's signed by November 30, which is the\n"
        "best I can offer this quarter, and it includes onboarding for your whole team\n"
        "and the import of your current donor list at no extra charge to you at all.\n"
    )
    got = _sentences(mail, "email")
    assert any(t.startswith("I went to bat") and "do: $4,200" in t for t in got)

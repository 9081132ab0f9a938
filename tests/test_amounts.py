"""Money as deals write it, and revisions that compare amounts rather than spellings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from briefgen.amounts import find_money, key
from briefgen.revisions import revisions
from briefgen.sentences import Sentence


@pytest.mark.parametrize(
    ("text", "currency", "value"),
    [
        ("The annual price is $84,000.", "USD", "84000"),
        ("Lizenz: 12.500 € pro Jahr", "EUR", "12500"),
        ("EUR 12,500.50 per year", "EUR", "12500.50"),
        ("about £8.6k all in", "GBP", "8600"),
        ("1,2 Mio. € over three years", "EUR", "1200000"),
        ("CHF 40'000 one-off", "CHF", "40000"),
        ("R$ 35,00 per employee", "BRL", "35"),
        ("Rp 1.150.000 per outlet", "IDR", "1150000"),
        ("₹66 lakh at list", "INR", "6600000"),
    ],
)
def test_amounts(text: str, currency: str, value: str) -> None:
    [money] = find_money(text)
    assert (money.currency, money.value) == (currency, Decimal(value))
    assert money.phrase in text


def test_two_spellings_of_one_amount_share_a_key() -> None:
    assert key(find_money("12.500 €")[0]) == key(find_money("EUR 12,500")[0]) == "EUR 12500"
    assert key(find_money("$2.4k")[0]) == key(find_money("$2,400")[0])


def _s(order: int, text: str, date: str) -> Sentence:
    return Sentence("src", text, "notes", date, None, "", order)


def test_a_price_revision_is_read_from_the_deal_s_own_terms_only() -> None:
    first = _s(0, "Our quote is 5.832 € per year for 6 users.", "2026-09-01")
    rival = _s(1, "The other vendor's quote was 18.000 € per year.", "2026-09-15")
    later = _s(2, "New price for 5 users is 4.860 € per year.", "2026-10-01")
    same = _s(3, "Confirmed: EUR 4,860 per year.", "2026-10-02")
    changes = revisions([first, rival, later, same], terms={0, 2, 3})
    assert [(c.field, c.previous, c.current) for c in changes] == [("price", "5.832 €", "EUR 4,860")]
    # a reformatted amount is not a change
    assert revisions([later, same], terms={2, 3}) == []


def test_a_former_or_list_amount_is_not_the_price_a_line_states() -> None:
    """ "Down from", "list is", "instead of" name what the price was or would have been: the
    revision runs from the first quote to the price now stated, and a later line with the same
    price beside its list price is no change."""
    quote = _s(0, "Annual price: $14,400 for 12 seats.", "2027-01-04")
    cut = _s(1, "Annual price is now $12,000, down from $14,400.", "2027-01-20")
    listed = _s(2, "Annual price $12,000 (list is $16,800) for the 12 seats.", "2027-01-27")
    changes = revisions([quote, cut, listed], terms={0, 1, 2})
    assert [(c.field, c.previous, c.current) for c in changes] == [("price", "$14,400", "$12,000")]
    assert revisions([cut, listed], terms={1, 2}) == []


def test_a_one_off_fee_and_the_recurring_price_are_revised_apart() -> None:
    """A fee said after the subscription is not a new price for it; a price written "/yr" or
    named as a proposal is a price, and the later one replaces the first."""
    from briefgen.revisions import superseded

    v1 = _s(0, "Proposal v1: $48/seat/yr for 60 seats.", "2027-01-04")
    fee = _s(1, "Implementation: $9,000 one-off, invoiced at kick-off.", "2027-01-11")
    final = _s(2, "Final: $44/seat/yr for 60 seats, held for 24 months.", "2027-01-25")
    sentences, terms = [v1, fee, final], {0, 1, 2}
    changes = revisions(sentences, terms)
    assert [(c.field, c.previous, c.current) for c in changes] == [("price", "$48", "$44")]
    assert superseded(sentences, terms) == {0}


def test_each_phase_s_go_live_is_revised_on_its_own() -> None:
    """Go-lives of different phases or sites are not revisions of one another; a go-live's date
    is the one said with it, not a kick-off's in the same line; a table row's later column is
    the new date."""
    plan = _s(
        0,
        "Plan: kick-off 11.01.2027, Phase 1 go-live 8 March 2027, Phase 2 go-live 7 June 2027.",
        "2026-11-02",
    )
    moved = _s(1, "| P1 go-live | 8 Mar | 12 Apr 2027 |", "2026-12-01")
    site = _s(2, "Mon 13 Sep   Tarbert go-live, then hypercare", "2026-12-01")
    changes = revisions([plan, moved, site], terms=set())
    assert [(c.field, c.previous, c.current) for c in changes] == [
        ("go-live date (phase 1)", "2027-03-08", "2027-04-12")
    ]

"""Money as deals write it, and revisions that compare amounts rather than spellings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from briefgen.amounts import find_money, key
from briefgen.revisions import revisions, superseded
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
        ("that's 2500 euros a year", "EUR", "2500"),
        ("300 Dollars per site", "USD", "300"),
        ("SGD 19.68 per user per month", "SGD", "19.68"),
        ("AED 4,500 a month", "AED", "4500"),
        ("CAD $990 / month for all 14 staff users", "CAD", "990"),
        ("NZ$1,090 + GST per year", "NZD", "1090"),
        ("CA$21,500 for year 1", "CAD", "21500"),
    ],
)
def test_amounts(text: str, currency: str, value: str) -> None:
    [money] = find_money(text)
    assert (money.currency, money.value) == (currency, Decimal(value))
    assert money.phrase in text


def test_two_spellings_of_one_amount_share_a_key() -> None:
    assert key(find_money("12.500 €")[0]) == key(find_money("EUR 12,500")[0]) == "EUR 12500"
    assert key(find_money("$2.4k")[0]) == key(find_money("$2,400")[0])
    # a deal that writes its dollar once with its country and after that without
    assert key(find_money("NZ$1,090")[0]) == key(find_money("$1,090")[0])
    assert key(find_money("CHF 1,090")[0]) != key(find_money("$1,090")[0])


def _s(order: int, text: str, date: str) -> Sentence:
    return Sentence("src", text, "notes", date, None, "", order)


def test_a_price_revision_is_read_from_the_deal_s_own_terms_only() -> None:
    first = _s(0, "Our quote is 5.832 € per year for 6 users.", "2026-09-01")
    rival = _s(1, "The other vendor's quote was 18.000 € per year.", "2026-09-15")
    later = _s(2, "New price for 5 users is 4.860 € per year.", "2026-10-01")
    same = _s(3, "Confirmed: EUR 4,860 per year.", "2026-10-02")
    changes = revisions([first, rival, later, same], terms={0, 2, 3})
    assert [(c.field, c.previous, c.current) for c in changes] == [
        ("price", "5.832 €", "EUR 4,860"),
        ("seats", "6 users", "5 users"),
    ]
    # a reformatted amount is not a change
    assert revisions([later, same], terms={2, 3}) == []


def test_a_former_or_list_amount_is_not_the_price_a_line_states() -> None:
    """ "List is" names what the price would have been, "down from" what it was: the revision
    runs from the first quote to the price now stated, a line that states both a former and a
    current price is a revision by itself, and a list price beside the same price is none."""
    quote = _s(0, "Annual price: $14,400 for 12 seats.", "2027-01-04")
    cut = _s(1, "Annual price is now $12,000, down from $14,400.", "2027-01-20")
    listed = _s(2, "Annual price $12,000 (list is $16,800) for the 12 seats.", "2027-01-27")
    changes = revisions([quote, cut, listed], terms={0, 1, 2})
    assert [(c.field, c.previous, c.current) for c in changes] == [("price", "$14,400", "$12,000")]
    assert [(c.previous, c.current) for c in revisions([cut, listed], terms={1, 2})] == [
        ("$14,400", "$12,000")
    ]
    assert revisions([listed], terms={2}) == []


def test_a_one_off_fee_and_the_recurring_price_are_revised_apart() -> None:
    """A fee said after the subscription is not a new price for it; a price written "/yr" or
    named as a proposal is a price, and the later one replaces the first."""
    from briefgen.revisions import superseded

    v1 = _s(0, "Proposal v1: $48/seat/yr for 60 seats.", "2027-01-04")
    fee = _s(1, "Implementation: $9,000 one-off, invoiced at kick-off.", "2027-01-11")
    final = _s(2, "Final: $44/seat/yr for 60 seats, held for 24 months.", "2027-01-25")
    sentences, terms = [v1, fee, final], {0, 1, 2}
    changes = revisions(sentences, terms)
    assert [(c.field, c.previous, c.current) for c in changes] == [("price per seat", "$48", "$44")]
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


def test_a_unit_price_and_a_total_are_revised_apart() -> None:
    """ "$49 per user per month" is no revision of "$2,998.80 a year"; a quote line that holds
    the unit price, the total and a one-off fee side by side gives each its own fact."""
    quote = _s(
        0,
        "$14 per user per month (AUD)   $50,400 / year   Setup & onboarding (one-off)   $6,500",
        "2027-05-19",
    )
    unit = _s(1, "Pro is $49 per user per month on monthly billing, $2,998.80 a year.", "2027-05-20")
    final = _s(2, "$13 per user per month (AUD)   $34,320 / year", "2027-06-15")
    waived = _s(3, "Setup & onboarding $6,500 -> WAIVED", "2027-06-15")
    changes = revisions([quote, final, waived], terms={0, 2})
    assert {(c.field, c.previous, c.current) for c in changes} == {
        ("price per user", "$14", "$13"),
        ("price", "$50,400", "$34,320"),
        ("implementation fee", "$6,500", "waived"),
    }
    assert revisions([unit], terms={1}) == []
    # a monthly and a yearly total are two prices; of a line's totals the one said with its
    # period is the price, not the contract's total after it
    options = _s(4, "Grow NZ$109/mo monthly, OR annual NZ$1,090/yr (2 mo free).", "2027-04-01")
    later = _s(
        5, "So the price is 96.000 € per year for both plants, 36 months (total 288.000 €).", "2027-04-02"
    )
    first = _s(6, "Your offer had the Q4 discount of 12 %, so 84.480 € per year.", "2027-04-01")
    assert revisions([options], terms={4}) == []
    assert [(c.previous, c.current) for c in revisions([first, later], terms={5, 6})] == [
        ("84.480 €", "96.000 €")
    ]


def test_a_line_can_revise_a_price_by_itself() -> None:
    """ "was X" and "X → Y" of one kind revise X; an arrow to a total is arithmetic, not a revision,
    and the line stating the price now is never superseded by its own former value."""
    from briefgen.revisions import superseded

    arrow = _s(0, "39 €/truck/mo → **36 €/truck/mo**, 36 mo.", "2027-02-09")
    was = _s(1, "AUD 61,200 per year (was AUD 92,400), 12-month term", "2027-02-10")
    works_out = _s(2, "$319/clinic/mo, locked for 24 months → $156,948/yr", "2027-02-11")
    assert [(c.field, c.previous, c.current) for c in revisions([arrow], terms={0})] == [
        ("price per truck", "39 €", "36 €")
    ]
    assert [(c.previous, c.current) for c in revisions([was], terms={1})] == [("AUD 92,400", "AUD 61,200")]
    assert revisions([works_out], terms={2}) == []
    assert superseded([arrow], terms={0}) == superseded([was], terms={1}) == set()


def test_seat_counts_are_revised_by_kind() -> None:
    """Counts of what the deal is sold by (seats, or the unit its prices are per) are revised;
    headroom and deltas are not counts; a count that names no kind is of the deal's one kind."""
    first = _s(0, "60 tech seats @ $55/mo ($39,600) + platform $9k/yr", "2027-01-05")
    recount = _s(1, "74 seats @ $48/mo = $42,624 + platform $9k = $51,624/yr", "2027-01-12")
    headroom = _s(
        2, "You can add up to 20 seats at the same price, and 35 more users cost extra.", "2027-01-13"
    )
    clinics = [
        _s(3, "38 clinics @ $319/clinic/mo", "2027-01-14"),
        _s(4, "95 technician licences x $720 and 8 planner licences", "2027-01-15"),
        _s(5, "Final: 41 clinics @ $319/clinic/mo", "2027-01-16"),
    ]
    changes = revisions([first, recount, headroom], terms={0, 1, 2})
    assert [(c.field, c.previous, c.current) for c in changes if "seats" in c.field] == [
        ("seats (tech)", "60 tech seats", "74 seats")
    ]
    changes = revisions(clinics, terms={3, 4, 5})
    assert [(c.field, c.previous, c.current) for c in changes] == [("clinics", "38 clinics", "41 clinics")]


def test_a_contract_term_is_read_as_the_terms_state_it() -> None:
    """ "Term: 24 months", "3 yr term", "three years at $36,000": a year or more on a line of the
    terms that speaks of the contract or its price. A tenure or an option weighed is no term."""
    first = _s(0, "Term: 24 months", "2026-11-03")
    option = _s(1, "We'd consider three years instead of two if that makes a difference.", "2026-11-10")
    tenure = _s(2, "31 yrs at INV.", "2026-11-11")
    signed = _s(3, "Signed order form attached, three years at $36,000.", "2026-11-24")
    changes = revisions([first, option, tenure, signed], terms={0, 1, 2, 3})
    assert [(c.field, c.previous, c.current) for c in changes if c.field == "term"] == [
        ("term", "24 months", "3 years")
    ]
    # the same length in other words is no change
    assert revisions([_s(0, "a 36-month term", "2026-11-01"), signed], terms={0, 3}) == []


def test_prices_terms_and_fees_are_read_in_the_languages_european_deals_use() -> None:
    """ "68 400 € HT/an ..., 12 mois" then "62 400 € HT/an, 36 mois, mise en œuvre 14 500 € HT":
    a yearly price and a term revised, the one-off fee its own fact; the first line is replaced."""
    offer = _s(0, "68 400 € HT/an (plateforme 18 000 + 4 x 12 600), 12 mois", "2027-06-01")
    final = _s(1, "62 400 € HT/an, 36 mois, mise en œuvre 14 500 € HT", "2027-06-20")
    changes = revisions([offer, final], terms={0, 1})
    assert [(c.field, c.previous, c.current) for c in changes] == [
        ("price", "68 400 €", "62 400 €"),
        ("term", "12 months", "36 months"),
    ]
    assert superseded([offer, final], terms={0, 1}) == {0}
    jahr = _s(0, "Angebot: 28.800,00 EUR jährlich, Laufzeit 12 Monate", "2027-05-01")
    neu = _s(1, "Angebot rev. 2: 24.000,00 EUR jährlich, Laufzeit 36 Monate", "2027-05-20")
    assert [(c.field, c.current) for c in revisions([jahr, neu], terms={0, 1})] == [
        ("price", "24.000,00 EUR"),
        ("term", "36 months"),
    ]


def test_a_kick_off_a_pilot_and_a_trial_are_moved_like_a_go_live() -> None:
    """Each is dated by the date said after it; a date before it is another event's ("signature
    on 19 March, kick-off end of March"), which only a go-live is not."""
    planned = _s(0, "We could aim for signature on 19 March, kick-off on 22 March 2027.", "2027-02-01")
    moved = _s(1, "Kick-off moved to 29 March 2027, pilot starts 4 May 2027.", "2027-02-10")
    other = _s(2, "The report is ready by 4 June, before the pilot.", "2027-02-11")
    changes = revisions([planned, moved, other], terms=set())
    assert [(c.field, c.previous, c.current) for c in changes] == [
        ("kick-off date", "2027-03-22", "2027-03-29")
    ]


def test_numbers_said_in_words_are_revised_like_digits() -> None:
    """A call says the first count and price in words, the order form the final ones in digits:
    a revision all the same. The quotes keep the words; a weight in pounds is no price."""
    call = _s(
        0,
        "So for thirty-eight clinics we'd be at three hundred and thirty-nine dollars per clinic a month.",
        "2026-11-17",
    )
    order = _s(1, "41 clinics at $319 per clinic per month, 24-month term.", "2026-12-21")
    changes = {c.field: c for c in revisions([call, order], terms={0, 1})}
    assert (changes["price per clinic"].previous, changes["price per clinic"].current) == (
        "339 dollars",
        "$319",
    )
    assert (changes["clinics"].previous, changes["clinics"].current) == ("38 clinics", "41 clinics")
    assert changes["clinics"].evidence[0].quote == call.text
    assert find_money("we ship about 400 pounds of honey a week") == []


def test_numerals_reads_number_words_but_keeps_zero_and_words_that_are_not_numbers() -> None:
    from briefgen.numerals import numerals

    assert (
        numerals("cut handovers from forty minutes to under fifteen")
        == "cut handovers from 40 minutes to under 15"
    )
    assert numerals("a hundred and twenty distributors, sixty percent of them abroad") == (
        "a 120 distributors, 60% of them abroad"
    )
    assert numerals("zero double-bookings, a one-off fee") == "zero double-bookings, a one-off fee"
    assert numerals("under two errors a week") == "under 2 errors a week"
    # a large number read from words is grouped as a reader expects; one written in digits is not
    assert numerals("two hundred and ten thousand dollars on PO 4500012345") == (
        "210,000 dollars on PO 4500012345"
    )


def test_a_price_for_later_years_is_not_a_revision_of_this_year_s() -> None:
    """ "Renews at $1,490" and a "Year 2" row say what the customer pays later: the first year's
    price stays what was sold, and the later price is a fact of its own. A list price set against
    a unit price ("instead of SGD 24.00") is that unit price's former value."""
    offer = _s(0, "Annual on Growth is $1,490 (basically 2 months free).", "2027-02-20")
    final = _s(1, "$1,290 for the first year, paid upfront; it renews at $1,490 a year.", "2027-03-05")
    changes = [(c.field, c.previous, c.current) for c in revisions([offer, final], terms={0, 1})]
    assert changes == [("price", "$1,490", "$1,290")]
    year1 = _s(0, "Year 1: SGD 19.68 per user per month instead of SGD 24.00", "2027-03-02")
    year2 = _s(1, "Year 2   155 users x SGD 24.00 list, less 10% = SGD 21.60/user/month", "2027-03-02")
    changes = [(c.field, c.previous, c.current) for c in revisions([year1, year2], terms={0, 1})]
    assert changes == [("price per user", "SGD 24.00", "SGD 19.68")]


def test_a_count_revised_on_its_own_line_is_a_change() -> None:
    """ "60 users, not 45" and "4 users (was 3)" state the old count and the new: a change even
    when no earlier line said the old one; a percentage beside a count is no former count."""
    line = _s(0, "So in total we need 60 users, not 45.", "2026-11-19")
    assert [(c.field, c.previous, c.current) for c in revisions([line], terms={0})] == [
        ("seats", "45 users", "60 users")
    ]
    was = _s(0, "4 users (was 3): Tess, Dan and the two weekend staff", "2027-03-05")
    assert [(c.previous, c.current) for c in revisions([was], terms={0})] == [("3 users", "4 users")]
    share = _s(0, "60 users, not 45% of them on site", "2026-11-19")
    assert revisions([share], terms={0}) == []


def test_a_former_price_written_with_its_currency_code_is_the_former_price() -> None:
    """ "CAD $990 / month (instead of CAD $1,150 / month)": the line states $990; $1,150 is what
    it replaced, not the price that holds."""
    line = _s(
        0,
        "CAD $990 / month for all 14 staff users (instead of CAD $1,150 / month on the 12-month quote), fixed for 24 months",
        "2026-11-10",
    )
    assert [(c.previous, c.current) for c in revisions([line], terms={0})] == [("CAD $1,150", "CAD $990")]


def test_a_line_that_says_a_former_value_is_a_revision_whatever_its_section() -> None:
    """A line that sets a value against what it was states a revision even when the classifier
    does not read it as the deal's terms, and even without a word such as "price"; only its
    revised values are read from such a line, not every amount or count it names."""
    seats = _s(0, "make it 12 users (was 9) - the night shift wants their own", "2027-01-12")
    assert [(c.field, c.previous, c.current) for c in revisions([seats], terms=set())] == [
        ("seats", "9 users", "12 users")
    ]
    monthly = _s(1, "Fleet tier: 1.840 EUR per month (statt 2.050 EUR), 24 Monate", "2027-01-13")
    assert [(c.field, c.previous, c.current) for c in revisions([monthly], terms={1})] == [
        ("monthly price", "2.050 EUR", "1.840 EUR")
    ]
    aside = _s(2, "Budget was $90,000 last year and they spent $12,000 on consultants.", "2027-01-14")
    assert revisions([aside], terms=set()) == []
    fee = _s(3, "Setup now a flat £3,200 (previously £4,000), billed with the first invoice.", "2027-01-15")
    assert [(c.field, c.previous, c.current) for c in revisions([fee], terms=set())] == [
        ("implementation fee", "£4,000", "£3,200")
    ]
    annual = _s(4, "SEK 310 000 per year (previously SEK 260 000 for one entity)", "2027-01-16")
    assert [(c.previous, c.current) for c in revisions([annual], terms=set())] == [
        ("SEK 260 000", "SEK 310 000")
    ]


def test_a_contract_length_after_an_amount_is_not_its_period() -> None:
    """ "28.800 EUR bei 12 Monaten Laufzeit" is a yearly price on a 12-month term, not a monthly
    price of 28.800 EUR."""
    first = _s(0, "Angebot: 40 EUR/Mon pro Nutzer, 12 Monate", "2027-02-01")
    later = _s(1, "19.200 EUR netto pro Jahr (statt 21.600 EUR bei 12 Monaten Laufzeit)", "2027-02-20")
    fields = {c.field: (c.previous, c.current) for c in revisions([first, later], terms={0, 1})}
    assert fields.get("price") == ("21.600 EUR", "19.200 EUR")
    assert "monthly price" not in fields


def test_a_fee_waived_on_the_line_that_names_it_is_a_change_and_that_line_stays() -> None:
    """ "We'll waive the €4,000 setup fee" states the fee and its waiver at once: a change from
    €4,000 to waived, and the line is not superseded by its own former amount. A fee that is
    not waived is no change."""
    waive = _s(0, "Good news: we'll waive the €4,000 setup fee if you sign this month.", "2027-03-01")
    assert [(c.field, c.previous, c.current) for c in revisions([waive], terms=set())] == [
        ("implementation fee", "€4,000", "waived")
    ]
    assert superseded([waive], terms={0}) == set()
    kept = _s(1, "Sorry, we cannot waive the €4,000 setup fee this time.", "2027-03-02")
    assert revisions([kept], terms=set()) == []


def test_a_milestone_moved_from_one_date_to_another_on_one_line_is_a_change() -> None:
    """ "go-live moved from 3 May to 24 May" states the old date and the new."""
    moved = _s(
        0, "Customer asked for the go-live moved from 3 May 2027 to 24 May 2027 (stocktake).", "2027-03-01"
    )
    assert [(c.field, c.previous, c.current) for c in revisions([moved], terms=set())] == [
        ("go-live date", "2027-05-03", "2027-05-24")
    ]
    arrow = _s(1, "kick-off from 9 Feb → 16 Feb 2027, their IT lead is away", "2027-01-20")
    assert [(c.previous, c.current) for c in revisions([arrow], terms=set())] == [
        ("2027-02-09", "2027-02-16")
    ]
    plain = _s(2, "Go-live on 24 May 2027, training from 10 May.", "2027-03-01")
    assert revisions([plain], terms=set()) == []
    span = _s(3, "Pilot from 1 March 2027 to 30 April 2027 in the two northern depots.", "2027-02-01")
    assert revisions([span], terms=set()) == []

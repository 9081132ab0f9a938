"""Dates as deals write them: European numeric forms, other languages' month names, a month
with its year (not a day), and numbers that are not dates."""

from __future__ import annotations

from datetime import date

import pytest

from briefgen.dates import BY_DATE_RE, find_dates, numeric_day_first, parse_date

REF = date(2026, 11, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Go-live spätestens 2.3.2027, sonst Problem.", date(2027, 3, 2)),
        ("Kickoff on 01.03. with all six sites.", date(2027, 3, 1)),
        ("Start am 15. März 2027 geplant.", date(2027, 3, 15)),
        ("arrancamos el 3 de mayo de 2027", date(2027, 5, 3)),
        ("Le 12 juillet on démarre la formation.", date(2027, 7, 12)),
        ("consegna entro il 9 settembre 2027", date(2027, 9, 9)),
        ("oplevering op 20 maart 2027", date(2027, 3, 20)),
        ("on the 4th of July we switch over", date(2027, 7, 4)),
        ("Signature by 12 Jan 2027 at the latest", date(2027, 1, 12)),
    ],
)
def test_written_dates(text: str, expected: date) -> None:
    assert [d for _, d in find_dates(text, REF) if d] == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "The demo was rated 3.5. overall.",
        "We run version 1.2.3 of the client.",
        "The licence is 12.500 € per year.",
        "We set 5 goals and went out 3 times.",
    ],
)
def test_numbers_that_are_not_dates(text: str) -> None:
    assert find_dates(text, REF) == []


def test_a_month_and_year_is_not_a_day() -> None:
    assert BY_DATE_RE.search("We need it live by May 2027.").group(1) == "May 2027"  # type: ignore[union-attr]
    assert find_dates("We need it live by May 2027.", REF) == [("May 2027", date(2027, 5, 1))]
    assert BY_DATE_RE.search("Ship it by May 20, 2027.").group(1) == "May 20, 2027"  # type: ignore[union-attr]


def test_a_day_without_a_year_takes_the_next_one_after_the_source_date() -> None:
    assert find_dates("Kickoff 15.01. im Werk", date(2026, 12, 10)) == [("15.01.", date(2027, 1, 15))]
    assert parse_date("2.3.2027") == date(2027, 3, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a part over 12 can only be the day, in either order
        ("Lab access sorted 27/04, then dry run.", date(2027, 4, 27)),
        ("everything live by 4/29 at the latest", date(2027, 4, 29)),
        # both parts 12 or under: a date only after a word that introduces one
        ("pilot cutover Thu 3/11 after the audit", date(2027, 3, 11)),
        # spoken ordinals
        ("we could start on the twenty-third of March", date(2027, 3, 23)),
        ("And the nineteenth of May is the board.", date(2027, 5, 19)),
    ],
)
def test_dates_written_short_or_spoken(text: str, expected: date) -> None:
    assert [d for _, d in find_dates(text, REF) if d] == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "Support is 24/7 and about 2/3 of the team use it.",
        "Rated it 4/5, honestly.",
        "It may work in may, if we push.",
        # a sentence ending on a month is not that month's day
        "The fair is in October.\n3 things are open.",
    ],
)
def test_short_forms_that_are_not_dates(text: str) -> None:
    assert [d for _, d in find_dates(text, REF) if d] == []


def test_a_deals_numeric_dates_are_read_in_its_own_order() -> None:
    # settled by a date that can only be read one way
    assert numeric_day_first(["Kick-off 19/02, training after."])
    assert not numeric_day_first(["Kickoff 2/19, training after."])
    # else by the currency the deal is priced in
    assert numeric_day_first(["Price: 18.400 € per year."])
    assert not numeric_day_first(["Price: $18,400 per year."])
    assert find_dates("Wave 2 go-live 07/06/2027", REF, day_first=True) == [("07/06/2027", date(2027, 6, 7))]
    assert find_dates("Wave 2 go-live 07/06/2027", REF) == [("07/06/2027", date(2027, 7, 6))]
    assert [d for _, d in find_dates("go-live moved to Mon 5/3.", REF, day_first=True)] == [date(2027, 3, 5)]


def test_a_month_said_as_a_time_is_a_date_phrase_without_a_day() -> None:
    assert find_dates("the shutdown is end of March, roughly", REF) == [("end of March", None)]
    assert find_dates("storm season ~mid-march, so before that", REF) == [("mid-march", None)]
    assert find_dates("We go live in September.", REF) == [("in September", None)]

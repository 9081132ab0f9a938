"""Dates as deals write them: European numeric forms, other languages' month names, a month
with its year (not a day), and numbers that are not dates."""

from __future__ import annotations

from datetime import date

import pytest

from briefgen.dates import BY_DATE_RE, find_dates, parse_date

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

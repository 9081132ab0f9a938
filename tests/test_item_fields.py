"""Fields read from the sentence an item rests on."""

from __future__ import annotations

import pytest

from briefgen.item_fields import criterion_fields
from briefgen.sentences import Sentence


def _s(text: str, said: str = "2026-11-02") -> Sentence:
    return Sentence("src", text, "email", said, None, "", 0)


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("Goal: under 3% returns by end of 2027.", "end of 2027"),
        ("We want scrap under two percent until end of next year.", "end of 2027"),
        ("The plant manager wants 97% schedule adherence by year end.", "end of 2026"),
        ("Claims handled within 5 days by the end of the financial year 2028.", "end of financial year 2028"),
        # The year's end said as its day too is that day.
        ("Cycle time under 8 days until end of the year (31.12.2027).", "2027-12-31"),
        # The end of a month is no year's end.
        ("Backlog under 300 tickets by the end of the month.", "end of the month"),
    ],
)
def test_a_measure_due_at_a_year_s_end_has_that_due_date(text: str, due: str | None) -> None:
    assert criterion_fields(_s(text), {})["due"] == due


def test_a_school_year_named_by_two_years_does_not_end_with_the_first() -> None:
    due = criterion_fields(_s("Absences down to 9% by the end of the 2027-28 school year."), {})["due"]
    assert due != "end of 2027"


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("Keep monthly churn under 8% through the first year.", "under 8%"),
        ("They need at least 95% of agents active by 30 June 2027.", "at least 95%"),
        ("First response within 4 hours for every P1 ticket.", "within 4 hours"),
        ("Fewer than 3 escalations per month after go-live.", "fewer than 3 escalations per month"),
        # A range's end is its target as it stands: the bound is the range's.
        ("Cut invoice errors from 8% to 2% by June 30, 2027.", "2%"),
        ("Bring the backlog down to under 300 tickets by March.", "under 300 tickets"),
    ],
)
def test_a_target_keeps_the_bound_it_is_said_with(text: str, target: str) -> None:
    assert criterion_fields(_s(text), {})["target"] == target


@pytest.mark.parametrize(
    ("text", "metric", "baseline", "target"),
    [
        (
            "Greg wants disputes down from about 7% of invoices today to under 2% by June.",
            "Greg wants disputes down",
            "about 7%",
            "under 2%",
        ),
        (
            "Cut unplanned stoppages from 14 per month to 5 per month.",
            "Cut unplanned stoppages",
            "14 per month",
            "5 per month",
        ),
        (
            "Move onboarding from 9 days per hire on average to 5 days.",
            "Move onboarding",
            "9 days per hire",
            "5 days",
        ),
    ],
)
def test_a_range_s_first_figure_may_say_what_it_counts(
    text: str, metric: str, baseline: str, target: str
) -> None:
    got = criterion_fields(_s(text), {})
    assert (got["metric"], got["baseline"], got["target"]) == (metric, baseline, target)


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("Kickoff call on November 20 with the whole team.", "2026-11-20"),
        ("Go-live is Thursday the sixth of May.", "2027-05-06"),
        ("Training on 20.11. at the Leipzig site.", "2026-11-20"),
        # A month and a year name no day: the phrase stays as written.
        ("Go-live planned for January 2027.", "January 2027"),
        ("We kick off early in January.", "in January"),
    ],
)
def test_a_milestone_s_day_is_a_date_and_a_month_stays_a_month(text: str, date: str) -> None:
    from briefgen.item_fields import milestone_fields

    got = milestone_fields(Sentence("src", text, "email", "2026-11-02", None, "", 0, day_first=True))
    assert got is not None and got["date"] == date

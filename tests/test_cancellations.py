"""Milestones a deal later calls off: out of the timeline, into the changes."""

from __future__ import annotations

from datetime import date

from briefgen.cancellations import called_off, without_called_off
from briefgen.schema import Evidence, Milestone
from briefgen.sentences import Sentence


def _s(order: int, text: str, day: str) -> Sentence:
    return Sentence("src", text, "notes", day, None, "", order)


def test_called_off_dates_and_exit_clauses() -> None:
    sentences = [
        _s(0, "Training for the depot leads is booked for 14 April 2027.", "2027-02-01"),
        _s(1, "They can cancel before 1 March 2027 without a fee.", "2027-02-01"),
        _s(2, "Die Schulung am 14.04.2027 ist abgesagt, neuer Termin folgt.", "2027-03-02"),
        _s(3, "The April 20 site visit was called off by their facilities team.", "2027-03-05"),
    ]
    off = called_off(sentences)
    assert off == {date(2027, 4, 14): sentences[2], date(2027, 4, 20): sentences[3]}


def test_a_called_off_milestone_leaves_the_timeline_with_a_change() -> None:
    kept_m = Milestone(
        text="Go-live on 1 June 2027.",
        date="2027-06-01",
        kind="go-live",
        evidence=[Evidence(source_id="src", quote="Go-live on 1 June 2027.")],
    )
    gone = Milestone(
        text="Training on 14 April 2027.",
        date="2027-04-14",
        kind="training",
        evidence=[Evidence(source_id="src", quote="Training on 14 April 2027.")],
    )
    notice = _s(5, "The 14 April 2027 training is cancelled.", "2027-03-02")
    timeline, changes = without_called_off([gone, kept_m], {date(2027, 4, 14): notice})
    assert timeline == [kept_m]
    assert len(changes) == 1
    change = changes[0]
    assert (change.previous, change.current) == ("Training on 14 April 2027.", "called off")
    assert [e.quote for e in change.evidence] == ["Training on 14 April 2027.", notice.text]

"""The extractive engine: deterministic, offline, sub-second, and the fallback for every other.

It chooses sentences of the deal's reading for each section with the section classifier, keeps
the customer's goals and the vendor's promises apart by who said them, and names the people the
reading found. Its items are the sentences themselves; fields come from the pipeline.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np

from .. import cues, usefulness
from ..findings import Finding, Findings
from ..headings import heading_section
from ..item_fields import criterion_fields, milestone_fields
from ..reading import Reading
from ..revisions import TERMS_CONFIDENCE, superseded
from ..schema import Side
from ..sections import LABELS
from ..sentences import Sentence
from ..stakeholders import stakeholders
from ..usefulness import FULL_LENGTH
from .base import Engine

# A sentence joins the section the classifier gives it only when it is this sure; below it the
# sentence is left out (a missed item costs less than noise a CSM has to read past).
MIN_CONFIDENCE = 0.3
# At most this many sentences per section, the most certain first: a CSM reads a brief, not
# every sentence that could belong in it.
SECTION_CAPS = {
    "goal": 5,
    "success_criterion": 5,
    "risk": 6,
    # A promise missed is the handoff failure a CSM pays for most. Measured on dev, 6 -> 8:
    # commitments found 75.3 -> 78.7%; of the 88 items it adds, 50 are promises the deal made.
    "commitment": 8,
    # A deal's terms are many short lines (price, term, billing start, invoicing, uplift cap,
    # guarantee), each one the CSM is asked about. Measured on dev, 4 -> 6: commitments found
    # 68.8 -> 71.3%, their precision 73.8 -> 73.0%.
    "terms": 6,
    "timeline": 10,  # dated events ahead of the handover only (`_ahead`): the CSM plans by them
    "next_step": 3,  # the CSM's first actions after the close, not the sale's to-do list
    "open_question": 3,
}
# The caps above are for a deal of REFERENCE_SENTENCES; a bigger one gets proportionally more
# promises, terms and dates, up to twice as many. Gold facts grow with a deal (correlation 0.8
# with its sentences on dev): an eight-month rollout makes more promises than a two-seat sale.
# Measured on dev: commitments found 62.1 -> 67.1%, timeline 63.8 -> 66.3%, overall precision
# 73.5 -> 72.6%. Goals, measures and risks did not gain from growing.
REFERENCE_SENTENCES = 120
GROWS_WITH_DEAL = ("commitment", "terms", "timeline")
SECOND_CONFIDENCE = 0.3
# A promise is often also a dated step or a next step ("Tomasz runs the payroll parallel test
# with you in the week of 12 April"): read as one second more readily, and so is the dated
# event a promise names. Measured on dev at a 0.2 floor: commitments found 57.9 -> 60.7%,
# their precision 78.3 -> 77.8%; timeline found 65.6 -> 69.7%, its precision 80.3 -> 79.0%
# (0.15: 70.0%). A risk is often said as a date, a term or a person's news ("the two renewal
# years are not approved", "Phase 3 subject to the supplier's interface"): read as one at the
# same floor. Measured on 69 dev deals: risks found 20.7 -> 22.5%, their precision 50.3 -> 50.9%.
SECOND_FOR = {"commitment": 0.2, "timeline": 0.2, "risk": 0.2}
# A recap, an order form and a confirmation mail restate the same terms in other words: a
# sentence this close in meaning to one its section already holds adds nothing but length; the
# better ranked of the two stays. Measured on dev: commitments found 60.7 -> 62.1%, timeline
# 62.8 -> 63.8%, precision 73.7 -> 73.5%.
REPEAT_SIMILARITY = 0.8
# Which of a section's sentences fill its cap. Every listed section is ranked by the usefulness
# model (`usefulness.py`), fitted to which candidates the dev deals' gold facts state: on dev deals
# held out of its fit it ranks them better than the rule below (area under the ROC curve among the
# candidates of RANKED_FLOOR, promises 0.79 -> 0.87, risks 0.77 -> 0.83, goals 0.75 -> 0.84, dates
# 0.69 -> 0.73, measures 0.80 -> 0.84, next steps 0.61 -> 0.79; open questions are the exception,
# see USEFUL_FLOOR). The rule ranks a section a model has none for: the classifier's certainty,
# and above about 0.6 it says little more (on dev, 0.6-0.7 was useful 76% of the time,
# 0.8+ 62%). Two things it cannot see rank them too: how late in the deal a sentence was said (terms
# and plans are restated and settled towards the close; on dev a promise in the deal's first fifth
# was useful 38% of the time, in its last fifth 64%) and how fully it states its point, up to
# FULL_LENGTH characters (a fragment "Annual in advance." 26%, a line of 120+ characters 73%).
# Measured on dev, each weight 0.2: commitments found 78.7 -> 81.2%, precision 71.9 -> 73.0%; any
# weight from 0.1 to 0.3 gave the same within half a point.
LATER_WEIGHT = 0.2
FULLER_WEIGHT = 0.2
# Sections printed as one: terms are listed with the commitments.
SHOWN_WITH = {"terms": ("commitment",)}
# The sections whose sentences the brief lists as items.
LISTED = ("goal", "success_criterion", "risk", "commitment", "terms", "timeline", "open_question")
ESSENTIAL = ("goal", "success_criterion")
ESSENTIAL_CONFIDENCE = 0.2
# A heading that names a section ("## Risks") lowers the bar for sentences under it.
HEADING_CONFIDENCE = 0.2
# Sections the usefulness model ranks (`usefulness.RANKED`) take as candidates every sentence
# the classifier gives at least this chance of belonging to them, and list only those the model
# gives at least USEFUL_FLOOR of stating something a CSM needs. Measured on dev, each deal briefed
# by a model fitted without it (five folds): coverage 62.6 -> 65.8%, precision 70.6 -> 76.2%;
# goals found 32.6 -> 43.6%, risks 24.9 -> 27.3%, timeline 69.5 -> 79.6%, commitments 80.3 ->
# 79.1%. Candidates from 0.1 without the second floor: coverage 66.4%, precision 71.8%; the
# second floor at 0.3 (risks 0.15): 62.9%, 77.7%.
RANKED_FLOOR = dict.fromkeys(usefulness.RANKED, 0.05)
# Success criteria and open questions joined the ranked sections later, measured the same way:
# criteria found 49.6 -> 51.1%, their precision 68.3 -> 75.4%; unknowns found 23.3 -> 20.9%, open
# questions' precision 42.3 -> 77.4% (floor 0.2: 16.3%, 83.3%; criteria at 0.2: 51.9%, 72.4%).
# Over all its candidates the model ranks open questions worse than the classifier's certainty
# (area 0.65 against 0.76: 36 useful among 1,985), but its few best are better: the rule with
# a cap of 1 or 2 keeps open questions' precision at 40-42%.
# Next steps joined them last. A step is worth a line when it states a fact the gold lists in any
# section; one another section already lists is left out (`_sections`). Measured the same way, the
# latest three steps still open against the best three from 0.45: next steps listed 90 -> 110, of
# them useful 32 -> 58 (35.6 -> 52.7%), precision 77.3 -> 77.7%, coverage unchanged (floor 0.3:
# 156 listed, 49.4% useful, precision 77.1%).
USEFUL_FLOOR = {
    "goal": 0.2,
    "risk": 0.1,
    "commitment": 0.2,
    "terms": 0.2,
    "timeline": 0.2,
    "success_criterion": 0.3,
    "open_question": 0.1,
    "next_step": 0.45,
}
_HEADING_LABEL = {
    "goals": "goal",
    "success_criteria": "success_criterion",
    "risks": "risk",
    "commitments": "commitment",
    "timeline": "timeline",
    "next_steps": "next_step",
    "open_questions": "open_question",
}


def certainty_rank(p: float, later: float, text: str) -> float:
    """The rank of a section without a usefulness model: the classifier's certainty `p`, how late
    in the deal (`later`, 0 to 1) and how fully the sentence was said."""
    return p + LATER_WEIGHT * later + FULLER_WEIGHT * min(len(text), FULL_LENGTH) / FULL_LENGTH


def candidates(
    reading: Reading, eligible: Callable[[str, Sentence], bool] = lambda label, s: True
) -> dict[str, list[tuple[float, Sentence]]]:
    """Per section, the sentences the classifier reads as belonging to it, with how sure it is.
    A sentence that cannot be an item of its section (`eligible`: a price the customer named,
    a goal our side spoke) is not one."""
    scored: dict[str, list[tuple[float, Sentence]]] = {label: [] for label in LABELS}
    best: dict[str, tuple[float, Sentence] | None] = dict.fromkeys(ESSENTIAL)
    for s, probs in zip(reading.usable, reading.sections, strict=True):
        ranked = sorted(probs.items(), key=lambda kv: -kv[1])
        (label, p), (second, p2) = ranked[0], ranked[1]
        heading = _HEADING_LABEL.get(heading_section(s.heading) or "")
        # Under a heading that names its section a sentence belongs there even when the
        # classifier, agreeing, is less sure than MIN_CONFIDENCE.
        if heading and probs[heading] >= HEADING_CONFIDENCE:
            label, p = heading, 1.0
        placed = set()
        if p >= MIN_CONFIDENCE and eligible(label, s):
            scored[label].append((p, s))
            placed.add(label)
        for name, q in ((label, p), (second, p2)):
            held = best.get(name)
            if name in best and (held is None or q > held[0]) and eligible(name, s):
                best[name] = (q, s)
        # A sentence can be two things at once ("cut delays from 36 to 12 hours" is a goal and
        # its measure): a close second reading places it in that section too.
        if (
            p2 >= SECOND_FOR.get(second, SECOND_CONFIDENCE)
            and second not in (label, "none")
            and eligible(second, s)
        ):
            scored[second].append((p2, s))
            placed.add(second)
        # In a section the usefulness model ranks, the model decides, not the classifier's
        # first two readings: a sentence it gives a fair chance of belonging there is a candidate.
        for name, floor in RANKED_FLOOR.items():
            if name not in placed and probs[name] >= floor and eligible(name, s):
                scored[name].append((probs[name], s))
    # A CSM needs the customer's goals and measures most: when none is sure enough, the
    # likeliest sentence still counts if the classifier ranks that section first or second.
    for label in ESSENTIAL:
        likeliest = best[label]
        if not scored[label] and likeliest is not None and likeliest[0] >= ESSENTIAL_CONFIDENCE:
            scored[label].append(likeliest)
    return scored


def _sections(
    reading: Reading, eligible: Callable[[str, Sentence], bool] = lambda label, s: True
) -> dict[str, list[Sentence]]:
    """Sentences by the section the classifier reads them as (`candidates`), the best (`rank`)
    first up to the section's cap and, in a ranked section, down to USEFUL_FLOOR; a sentence
    that cannot be an item of its section is no candidate, so it never takes the place of one
    that can."""
    scored = candidates(reading, eligible)
    row = reading.rows
    vectors = reading.vectors
    ranker = usefulness.model()
    n = len(reading.usable)

    described: dict[int, list[float]] = {}  # one features vector per sentence, whatever its sections

    def rank(label: str, found: tuple[float, Sentence]) -> float:
        p, s = found
        if s.order not in described:
            described[s.order] = usefulness.candidate_features(reading, s)
        useful = ranker.score(label, described[s.order])
        if useful is not None:
            return useful
        return certainty_rank(p, usefulness.position(reading, s), s.text)

    out: dict[str, list[Sentence]] = {}
    # Next steps last: a line another section already lists is no step of its own.
    for label in sorted(scored, key=lambda name: name == "next_step"):
        found = scored[label]
        cap = _cap(label, n) if label in SECTION_CAPS else len(found)
        kept: list[Sentence] = []
        shown = [s for other in SHOWN_WITH.get(label, ()) for s in out.get(other, [])]
        if label == "next_step":
            listed = {s.order for other in LISTED for s in out.get(other, [])}
            found = [f for f in found if f[1].order not in listed]
        best_first = sorted(((rank(label, f), f[1]) for f in found), key=lambda rs: rs[0], reverse=True)
        for score, s in best_first:
            if len(kept) >= cap or score < USEFUL_FLOOR.get(label, 0.0):
                break
            said = [row[k.order] for k in [*kept, *shown]]
            if said and float(np.max(vectors[said] @ vectors[row[s.order]])) >= REPEAT_SIMILARITY:
                continue
            kept.append(s)
        out[label] = sorted(kept, key=lambda s: s.order)  # in the order they were said
    return out


def _cap(label: str, sentences: int) -> int:
    """How many items `label` may keep in a deal of this many sentences."""
    base = SECTION_CAPS[label]
    if label not in GROWS_WITH_DEAL:
        return base
    return min(max(base, round(base * sentences / REFERENCE_SENTENCES)), base * 2)


class ExtractiveEngine(Engine):
    name = "extractive"

    def __init__(self, vendor_domains: tuple[str, ...] = ()) -> None:
        self.vendor_domains = vendor_domains

    def eligible(self, reading: Reading) -> Callable[[str, Sentence], bool]:
        """Whether a sentence can be an item of a section, whatever the classifier reads it as."""
        side_of = reading.side_of
        cutoff = _handed_over(reading)
        # A price or term a later one replaced is not what was sold: out before the caps, so it
        # never takes the place of one that still holds.
        replaced = superseded(reading.usable, reading.likely("terms", TERMS_CONFIDENCE))

        following = {a.order: b for a, b in pairwise(reading.sentences) if a.source_id == b.source_id}

        def eligible(label: str, s: Sentence) -> bool:
            if label == "goal":
                # Goals are the customer's: what our own people say on a call or in a mail is not
                # one, unless it is said to the customer about them ("your aim is ..."), as
                # a recap restates it. Measured on dev, held-out folds: goals found 43.6 -> 44.7%,
                # their precision 73.3 -> 73.9%.
                return not s.text.endswith("?") and (
                    side_of.get(s.speaker or "", Side.unknown) is not Side.vendor
                    or bool(re.search(r"\b(?:you|your|you're|you’re)\b", s.text, re.I))
                )
            if label in ("commitment", "terms") and s.order in replaced:
                return False
            if label == "commitment":
                return _promise(s, side_of)
            if label == "timeline":
                return _ahead(s, cutoff)
            if label == "open_question":
                return not _answered(s, following.get(s.order))
            if label == "next_step":
                return _still_open(s, cutoff)
            if label == "terms":
                # The price, term and discounts our side stated are part of what the customer
                # was sold; the customer's own talk of price ("more than we can pay") is not.
                return _ours(s, side_of)
            return True

        return eligible

    def find(self, reading: Reading) -> Findings:
        side_of = reading.side_of
        by_label = _sections(reading, self.eligible(reading))
        out = Findings(engine=self.name)
        out.items += people_findings(reading)
        criteria = [(s, criterion_fields(s, side_of)) for s in by_label["success_criterion"]]
        measured = _measures(criteria, reading)
        goals = [Finding("goals", (s.order,)) for s in by_label["goal"]]
        if not goals:
            # A target the customer set is the outcome they bought for: when nothing else
            # states a goal, their own measures do.
            goals = [Finding("goals", (s.order,)) for s, f in criteria if f["stated_by_customer"]][:3]
        out.items += goals
        out.items += [Finding("success_criteria", ids, fields=f) for ids, f in measured]
        texts = {p.source_id: p.text for p in reading.passages}
        by_order = {s.order: s for s in reading.sentences}
        joined: set[int] = set()  # a risk quoted as the reason of the one before it
        for s in by_label["risk"]:
            if s.order in joined:
                continue
            prev = _antecedent(s, by_order, texts)
            then = None if prev else _reason(s, reading, by_order, texts)
            if prev is not None:
                out.items.append(Finding("risks", (prev.order, s.order), text=f"{prev.text} {s.text}"))
            elif then is not None:
                joined.add(then.order)
                out.items.append(Finding("risks", (s.order, then.order), text=f"{s.text} {then.text}"))
            else:
                out.items.append(Finding("risks", (s.order,)))
        departing = _departing_contact(reading)
        if departing is not None and not any(
            departing.order in f.ids for f in out.items if f.section == "risks"
        ):
            # A key contact leaving is a risk to the account whatever the classifier read it as.
            out.items.append(Finding("risks", (departing.order,)))
        promised = {s.order for s in [*by_label["commitment"], *by_label["terms"]]}
        out.items += [Finding("commitments", (o,)) for o in sorted(promised)]
        out.items += [Finding("timeline", (s.order,)) for s in by_label["timeline"]]
        out.items += [Finding("open_questions", (s.order,)) for s in by_label["open_question"]]
        out.items += [Finding("next_steps", (s.order,)) for s in by_label["next_step"]]
        return out


# A measure is often said in two places: where it stands ("9% of log entries are missing") and,
# elsewhere, where it must get to ("under 2% by the September audit"). Two such sentences at least
# this close in meaning are one criterion: one item with both quotes, its baseline from one and
# its target from the other.
# Measured on dev at 0.5: criteria with a target and a due date 16.1 -> 18.5%, criteria found
# 41.7 -> 42.6%, their precision 70.4 -> 68.9% (two useful halves are now one item). A
# sentence the classifier gives less than HALF_FLOOR of being a measure is no half of one.
HALF_SIMILARITY = 0.5
HALF_FLOOR = 0.1
_HALVES = ("target", "baseline")


def _filled(fields: dict[str, Any]) -> int:
    return sum(1 for k in (*_HALVES, "due") if fields.get(k))


def _measures(
    criteria: list[tuple[Sentence, dict[str, Any]]], reading: Reading
) -> list[tuple[tuple[int, ...], dict[str, Any]]]:
    """The criteria as items: each with the sentence that states its missing target or baseline,
    another criterion first (the two become one item) or else any sentence of the deal."""
    mine = {s.order: f for s, f in criteria}
    merged_away: set[int] = set()
    joined: set[int] = set()  # sentences already one half of an item: never a half again
    out: list[tuple[tuple[int, ...], dict[str, Any]]] = []
    for s, fields in criteria:
        if s.order in merged_away:
            continue
        wants = [k for k in _HALVES if not fields.get(k)]
        if not wants:
            out.append(((s.order,), fields))
            continue
        sims = reading.vectors @ reading.vectors[reading.rows[s.order]]
        taken = merged_away | joined
        best: tuple[bool, float, Sentence, dict[str, Any]] | None = None
        for i, other in enumerate(reading.usable):
            if other.order == s.order or other.order in taken or sims[i] < HALF_SIMILARITY:
                continue
            if not re.search(r"\d", other.text) or reading.sections[i]["success_criterion"] < HALF_FLOOR:
                continue
            theirs = mine.get(other.order) or criterion_fields(other, reading.side_of)
            candidate = (other.order in mine, float(sims[i]), other, theirs)
            if any(theirs.get(k) for k in wants) and (best is None or candidate[:2] > best[:2]):
                best = candidate
        if best is None:
            out.append(((s.order,), fields))
            continue
        _, _, other, theirs = best
        lead, lead_fields, half, half_fields = s, fields, other, theirs
        if other.order in mine:
            merged_away.add(other.order)
            out = [(ids, f) for ids, f in out if ids != (other.order,)]
            if _filled(theirs) > _filled(fields):  # the fuller statement leads the item
                lead, lead_fields, half, half_fields = other, theirs, s, fields
        both = dict(lead_fields)
        for k in (*_HALVES, "due"):
            if not both.get(k) and half_fields.get(k):
                both[k] = half_fields[k]
        joined |= {lead.order, half.order}
        out.append(((lead.order, half.order), both))
    return out


def people_findings(reading: Reading) -> list[Finding]:
    """The people the reading found, with their quotes, as stakeholder findings."""
    return [
        Finding("stakeholders", (), fields=person.model_dump(exclude={"evidence"}), quotes=person.evidence)
        for person in stakeholders(reading.people, reading.usable)
    ]


def _ours(s: Sentence, side_of: dict[str, Side]) -> bool:
    """Said or written by the vendor's side: by one of our people, or in the notes our own
    reps keep (a note has no speaker)."""
    if s.kind == "note" and not s.speaker:
        return True
    return side_of.get(s.speaker or "", Side.unknown) is Side.vendor


def _promise(s: Sentence, side_of: dict[str, Side]) -> bool:
    """Can be a promise sales made: the customer saying "we will" is not, unless it quotes one."""
    if s.text.endswith(("?", ":")):
        return False
    return not (
        s.kind in ("email", "transcript")
        and side_of.get(s.speaker or "", Side.unknown) is Side.customer
        and not re.search(r"\byou (?:promised|committed|agreed|said you would)\b", s.text, re.I)
    )


def _handed_over(reading: Reading) -> str:
    """The day the deal passes to customer success (ISO): its close date, or its latest dated
    source when that is earlier or there is no close date; "" when neither is known."""
    latest = max((s.date[:10] for s in reading.usable if s.date), default="")
    close = (reading.deal.close_date or "")[:10]
    # A close date after the last source would leave nothing: the latest source is open then.
    return min(close, latest) if close and latest else close or latest


def _answered(s: Sentence, after: Sentence | None) -> bool:
    """A question put in a conversation and answered in the next turn by someone else is not
    one the CSM inherits. Measured on dev: open questions 31 -> 28, the useful ones 10 -> 10."""
    return bool(
        s.text.rstrip().endswith("?")
        and after is not None
        and after.speaker
        and s.speaker
        and after.speaker != s.speaker
    )


_OUR_OWN_LEAVING = re.compile(r"\b(?:I'm|I am|I’m|my last day|I've accepted|I have accepted)\b", re.I)


def _departing_contact(reading: Reading) -> Sentence | None:
    """The first sentence that says a contact is leaving or going on leave (the reading the
    handoff assessment uses), unless it is one of our own people saying they are leaving: the
    account executive's own move is our handover, not the customer's loss."""
    for s in reading.usable:
        if not cues.CHAMPION_LEAVING.search(s.text):
            continue
        if reading.side_of.get(s.speaker or "", Side.unknown) is Side.vendor and _OUR_OWN_LEAVING.search(
            s.text
        ):
            continue
        return s
    return None


def _still_open(s: Sentence, cutoff: str) -> bool:
    """Can be a next step a CSM inherits: said once the deal was handed over (`cutoff`), or
    undated. A step said earlier in the sale (send the proposal, the order form) was done, or
    overtaken, by the time the deal closed."""
    return not cutoff or not s.date or s.date[:10] >= cutoff


_ISO_DAY = re.compile(r"^\d{4}-\d\d-\d\d$")
_DATE_LINE_FILLER = re.compile(
    r"\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b|\b\d{1,2}[:.]\d\d\b|\b(?:am|pm|utc|gmt|[ecmp][sd]t|bst|cet|cest|eet|ist|sgt|jst|aest|aedt|awst|nzst|nzdt)\b|[^\w]+|\d+",
    re.I,
)


def _ahead(s: Sentence, cutoff: str) -> bool:
    """Can be a milestone on the timeline a CSM inherits: it names a date, says what happens then
    (a line that is only a date, a chat's day separator, is not an event), and that date is not
    before the handover (a proposal sent or a PO raised in the sale is history)."""
    dated = milestone_fields(s)
    if dated is None:
        return False
    rest = s.text
    for phrase in dict.fromkeys(p for p in [dated["date"], *re.findall(r"\S*\d\S*", s.text)]):
        rest = rest.replace(phrase, " ")
    if len(_DATE_LINE_FILLER.sub(" ", rest).split()) < 2:
        return False
    day = str(dated["date"])
    return not (cutoff and _ISO_DAY.match(day) and day < cutoff)


# A risk is often said in two sentences, the problem and then why or what follows ("July 1 is
# impossible for us. July we have the plan migration campaign ..."). The following sentence of the
# same source is quoted with it when the usefulness model rates it at least this likely a risk of
# its own. Measured on dev, each deal briefed by a model fitted without it: risks found 91 ->
# 93 of 333, their precision 72.7 -> 73.9% (356 items instead of 366), coverage 66.36 ->
# 66.44%, precision 77.79 -> 77.95%; floors of 0.3 and 0.1 no better (in-sample).
REASON_FLOOR = 0.15


def _reason(
    s: Sentence, reading: Reading, by_order: dict[int, Sentence], texts: dict[str, str]
) -> Sentence | None:
    """The sentence right after risk `s` in its source, when it is a likely risk too: quoted with it."""
    then = by_order.get(s.order + 1)
    if then is None or then.source_id != s.source_id or then.order not in reading.rows:
        return None
    if f"{s.text} {then.text}" not in texts.get(s.source_id, ""):
        return None  # not adjacent as written (a quoted block, a table cell between)
    if reading.sections[reading.rows[then.order]]["risk"] < RANKED_FLOOR["risk"]:
        return None
    useful = usefulness.model().score("risk", usefulness.candidate_features(reading, then))
    return then if useful is not None and useful >= REASON_FLOOR else None


def _antecedent(s: Sentence, by_order: dict[int, Sentence], texts: dict[str, str]) -> Sentence | None:
    """'That is a hard gate.' says nothing alone: quote it with the sentence it refers to."""
    if len(s.text) > 60 or not re.match(r"^(?:That|This|It|Which)\b", s.text):
        return None
    prev = by_order.get(s.order - 1)
    if prev is None or prev.source_id != s.source_id:
        return None
    return prev if f"{prev.text} {s.text}" in texts.get(s.source_id, "") else None

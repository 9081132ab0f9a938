"""The extractive engine: deterministic, offline, sub-second, and the fallback for every other.

It reads sentences, classifies them by cue phrases (and note headings), parses people from
attendee lines, email headers, signatures and transcript speakers, and quotes its sources
verbatim. Sentences that address a model or carry a secret are never used as content.
"""

from __future__ import annotations

import re
from collections import defaultdict

from .. import cues
from ..dates import BY_DATE_RE, find_dates, parse_date, spoken_numbers
from ..people import People, Person, role_for
from ..safety import find_secrets, is_injection
from ..schema import (
    Brief,
    Change,
    Commitment,
    Deal,
    Evidence,
    Goal,
    HandoffRisk,
    Milestone,
    Risk,
    RiskCategory,
    Sentiment,
    Severity,
    Side,
    Stakeholder,
    SuccessCriterion,
    TextItem,
)
from ..sections import LABELS, classify, neighbours_in_order
from ..sentences import Sentence, split_passage
from .base import Engine, Passage

MAX_ITEMS = 10

_NUM = r"(?:~|about |around |roughly )?[$€]?\s?\d[\d,.]*(?:\s?(?:[kKmM]\b|million|%|percent))?"
# The unit is whatever word follows the number ("5 errors", "12 hours"), then an optional rate.
_UNIT = r"(?: (?!(?:by|in|per|and|or|to|from|at|on)\b)[a-z]{2,20}s?)?(?: (?:per|a|each) [a-z]{3,10})?"
_VALUE = rf"(?:{_NUM}{_UNIT}|zero(?: [a-z]+){{0,2}})"
_FROM_TO = re.compile(rf"\bfrom ({_VALUE}) to ({_VALUE})", re.I)
_BASELINE = re.compile(
    rf"(?:\b(?:is|are|currently|today is|of)\s+({_VALUE})\s+today\b|\btoday(?:,| is| we have)?\s+"
    rf"(?:about |around )?({_VALUE})|\bcurrently\s+({_VALUE})|\b({_VALUE}) (?:today|currently|now)\b)",
    re.I,
)
_TARGET = re.compile(
    rf"\b(?:under|below|less than|at most|within|to|of|reach|hit|wants?|want|get to)\s+({_VALUE})", re.I
)
_BY_PCT = re.compile(r"\bby (\d[\d.]*\s?%)", re.I)
_DUE_END = re.compile(
    r"\b(?:by|before)\s+(?:the\s+)?end of\s+((?:the\s+)?(?:[A-Z][a-z]+|Q[1-4])(?:\s+20\d\d)?)", re.I
)
_MONEY = re.compile(r"(?:[$€]\s?\d[\d,]*(?:\.\d+)?[kKmM]?|\bEUR\s?\d[\d,]*)")
_TERM = re.compile(r"\b(\d+)[- ]month term\b", re.I)
_INSTRUCTION_LEAD = 2  # words of an injected instruction quoted: enough to find it, too few to repeat it


def _ev(s: Sentence) -> list[Evidence]:
    return [Evidence(source_id=s.source_id, quote=s.text)]


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


# A sentence joins the section the classifier gives it only when it is this sure; below it the
# sentence is left out (a missed item costs less than noise a CSM has to read past).
MIN_CONFIDENCE = 0.3
# At most this many sentences per section, the most certain first: a CSM reads a brief, not
# every sentence that could belong in it.
SECTION_CAPS = {
    "goal": 5,
    "success_criterion": 5,
    "risk": 6,
    "commitment": 6,
    "timeline": 6,
    "next_step": 3,
    "open_question": 3,
}
SECOND_CONFIDENCE = 0.3
ESSENTIAL = ("goal", "success_criterion")
ESSENTIAL_CONFIDENCE = 0.2
# A heading that names a section ("## Risks") lowers the bar for sentences under it.
HEADING_CONFIDENCE = 0.2
_HEADING_LABEL = {
    "goals": "goal",
    "risks": "risk",
    "next_steps": "next_step",
    "open_questions": "open_question",
}


def _sections(sentences: list[Sentence]) -> dict[str, list[Sentence]]:
    """Sentences by the section the classifier reads them as."""
    scored: dict[str, list[tuple[float, Sentence]]] = {label: [] for label in LABELS}
    best: dict[str, tuple[float, Sentence] | None] = dict.fromkeys(ESSENTIAL)
    near = neighbours_in_order([s.source_id for s in sentences])
    for s, probs in zip(sentences, classify([s.text for s in sentences], near), strict=True):
        ranked = sorted(probs.items(), key=lambda kv: -kv[1])
        (label, p), (second, p2) = ranked[0], ranked[1]
        heading = _HEADING_LABEL.get(_heading_section(s) or "")
        if heading and heading != label and probs[heading] >= HEADING_CONFIDENCE:
            label, p = heading, 1.0
        if p >= MIN_CONFIDENCE:
            scored[label].append((p, s))
        for name, q in ((label, p), (second, p2)):
            held = best.get(name)
            if name in best and (held is None or q > held[0]):
                best[name] = (q, s)
        # A sentence can be two things at once ("cut delays from 36 to 12 hours" is a goal and
        # its measure): a close second reading places it in that section too.
        if p2 >= SECOND_CONFIDENCE and second != label and second != "none":
            scored[second].append((p2, s))
    # A CSM needs the customer's goals and measures most: when none is sure enough, the
    # likeliest sentence still counts if the classifier ranks that section first or second.
    for label in ESSENTIAL:
        likeliest = best[label]
        if not scored[label] and likeliest is not None and likeliest[0] >= ESSENTIAL_CONFIDENCE:
            scored[label].append(likeliest)
    out: dict[str, list[Sentence]] = {}
    for label, found in scored.items():
        kept = sorted(found, key=lambda t: -t[0])[: SECTION_CAPS.get(label, len(found))]
        out[label] = sorted((s for _, s in kept), key=lambda s: s.order)  # in the order they were said
    return out


def _heading_section(s: Sentence) -> str | None:
    for key, section in cues.HEADING_SECTIONS.items():
        if key in s.heading:
            return section
    return None


class ExtractiveEngine(Engine):
    name = "extractive"

    def __init__(self, vendor_domains: tuple[str, ...] = ()) -> None:
        self.vendor_domains = vendor_domains

    def write(self, deal: Deal, evidence: list[Passage]) -> Brief:
        passages = sorted(evidence, key=lambda p: (p.date or "", p.source_id, p.start))
        people = People(deal, self.vendor_domains)
        for p in passages:
            people.scan(p)
        sentences: list[Sentence] = []
        for p in passages:
            sentences.extend(split_passage(p, len(sentences)))
        flagged: list[Sentence] = []
        secret_hits: list[tuple[Sentence, tuple[int, int]]] = []
        usable: list[Sentence] = []
        seen: set[str] = set()
        for s in sentences:
            if is_injection(s.text):
                flagged.append(s)
                continue
            spans = find_secrets(s.text)
            if spans:
                secret_hits.append((s, (spans[0][0], spans[-1][1])))
                continue
            key = _norm(s.text)
            if key in seen:
                continue
            seen.add(key)
            usable.append(s)

        lines_by_speaker: dict[str, list[str]] = defaultdict(list)
        for s in sentences:
            if s.speaker and s.kind == "transcript":
                lines_by_speaker[s.speaker].append(s.text)
        people.finalize(lines_by_speaker)
        stakeholders = self._stakeholders(people, usable)
        side_of = {p.name: p.side for p in people.people.values()}
        for person in people.people.values():
            side_of[person.first] = person.side
        by_label = _sections(usable)
        criteria = self._criteria(by_label["success_criterion"], side_of)
        goals = [
            Goal(text=s.text, evidence=_ev(s))
            for s in by_label["goal"]
            if not s.text.endswith("?")
            # goals are the customer's: what our own people say on a call or in a mail is not one
            and side_of.get(s.speaker or "", Side.unknown) is not Side.vendor
        ]
        if not goals:
            # A target the customer set is the outcome they bought for: when nothing else
            # states a goal, their own measures do.
            goals = [
                Goal(text=" ".join(c.evidence[0].quote.split()), evidence=c.evidence)
                for c in criteria
                if c.stated_by_customer and c.evidence
            ][:3]
        texts = {p.source_id: p.text for p in passages}
        by_order = {s.order: s for s in sentences}
        risks = self._risks(
            [_with_antecedent(s, by_order, texts) for s in by_label["risk"]], flagged, secret_hits
        )
        commitments = self._commitments(by_label["commitment"], side_of)
        timeline = self._timeline(by_label["timeline"])
        questions = [TextItem(text=s.text, evidence=_ev(s)) for s in by_label["open_question"]]
        next_steps = [TextItem(text=s.text, evidence=_ev(s)) for s in by_label["next_step"]]
        changes = self._changes(usable)
        brief = Brief(
            deal_id=deal.deal_id,
            account=deal.account,
            summary="",
            goals=goals[:MAX_ITEMS],
            stakeholders=stakeholders,
            success_criteria=criteria[:MAX_ITEMS],
            risks=risks[:MAX_ITEMS],
            commitments=commitments[:MAX_ITEMS],
            timeline=timeline[:MAX_ITEMS],
            open_questions=questions[:MAX_ITEMS],
            next_steps=next_steps[-MAX_ITEMS:],
            changes=changes,
            handoff_risk=HandoffRisk(level=Severity.low, recommendation=""),
            engine=self.name,
        )
        return brief

    # --- stakeholders ------------------------------------------------------------

    def _stakeholders(self, people: People, sentences: list[Sentence]) -> list[Stakeholder]:
        out: list[Stakeholder] = []
        for person in people.people.values():
            about = _sentences_about(person, people, sentences)
            texts = [s.text for s in about]
            role = role_for(person, texts)
            score = sum(1 for t in texts if cues.POSITIVE.search(t)) - sum(
                1 for t in texts if cues.NEGATIVE.search(t)
            )
            sentiment = (
                Sentiment.unknown
                if not texts and person.side is not Side.vendor
                else Sentiment.positive
                if score > 0
                else Sentiment.negative
                if score < 0
                else Sentiment.neutral
            )
            if person.side is Side.vendor:
                sentiment = Sentiment.unknown
            motivations = [
                s.text
                for s in about
                if cues.GOAL.search(s.text) or cues.NEGATIVE.search(s.text) or cues.POSITIVE.search(s.text)
            ][:3]
            clean_quotes = [
                (sid, q) for sid, q in person.quotes if not is_injection(q) and not find_secrets(q)
            ]
            evidence = [Evidence(source_id=sid, quote=q) for sid, q in clean_quotes[:2]]
            used = {e.quote for e in evidence}
            for s in about:
                if len(evidence) >= 4:
                    break
                if s.text not in used and (s.text in motivations or not evidence):
                    evidence.append(Evidence(source_id=s.source_id, quote=s.text))
                    used.add(s.text)
            if not evidence:
                continue  # a name seen only in a header we cannot quote: not citable
            out.append(
                Stakeholder(
                    name=person.name,
                    title=person.title,
                    organization=person.organization,
                    email=person.email,
                    side=person.side,
                    role=role,
                    sentiment=sentiment,
                    motivations=motivations,
                    evidence=evidence,
                )
            )
        order = {"customer": 0, "unknown": 1, "vendor": 2}
        out.sort(key=lambda s: (order[s.side.value], _ROLE_ORDER.index(s.role.value), s.name))
        return out

    # --- success criteria --------------------------------------------------------

    def _criteria(self, sentences: list[Sentence], side_of: dict[str, Side]) -> list[SuccessCriterion]:
        out: list[SuccessCriterion] = []
        for s in sentences:
            text = spoken_numbers(s.text)
            baseline = target = None
            m = _FROM_TO.search(text)
            if m:
                baseline, target = m.group(1).strip(), m.group(2).strip()
            else:
                bm = _BASELINE.search(text)
                if bm:
                    baseline = next(g for g in bm.groups() if g).strip()
                for tm in _TARGET.finditer(text):
                    value = tm.group(1).strip()
                    if value != baseline and re.search(r"\d|zero", value):
                        target = value
                pm = _BY_PCT.search(text)
                if pm and target is None:
                    target = (
                        f"-{pm.group(1)}"
                        if re.search(r"reduce|cut|lower|decrease", text, re.I)
                        else f"+{pm.group(1)}"
                    )
                if re.search(r"\bzero\b", text, re.I) and target is None:
                    target = "zero"
            due = None
            dm = _DUE_END.search(text)
            if dm:
                due = "end of " + dm.group(1)
            else:
                bd = BY_DATE_RE.search(text)
                if bd:
                    due = bd.group(1)
                else:
                    found = find_dates(text, parse_date(s.date))
                    due = found[0][0] if found else None
            if due:
                parsed = parse_date(due) if re.search(r"\d{4}", due) else None
                due = (
                    parsed.isoformat()
                    if parsed
                    and re.search(r"\d{1,2}(?:st|nd|th|rd)?,", due + ",")
                    and re.search(r"\b\d{1,2}\b", due)
                    else due
                )
            speaker_side = side_of.get(s.speaker or "", Side.unknown)
            subject_side = _subject_side(text, side_of)
            stated = speaker_side is Side.customer or (
                speaker_side is Side.unknown and subject_side is Side.customer
            )
            out.append(
                SuccessCriterion(
                    metric=_metric_phrase(text),
                    baseline=baseline,
                    target=target,
                    due=due,
                    stated_by_customer=stated,
                    evidence=_ev(s),
                )
            )
        return out

    # --- risks -------------------------------------------------------------------

    def _risks(
        self,
        sentences: list[Sentence],
        flagged: list[Sentence],
        secrets: list[tuple[Sentence, tuple[int, int]]],
    ) -> list[Risk]:
        out: list[Risk] = []
        for s in sentences:
            text = s.text
            category = _risk_category(text)
            severity = (
                Severity.high
                if cues.SEVERITY_HIGH.search(text)
                else Severity.low
                if cues.SEVERITY_LOW.search(text)
                else Severity.medium
            )
            out.append(
                Risk(
                    description=text,
                    category=category,
                    severity=severity,
                    mitigation=_mitigation(text, category),
                    evidence=_ev(s),
                )
            )
        for s in flagged:
            lead = " ".join(s.text.split()[:_INSTRUCTION_LEAD])
            out.insert(
                0,
                Risk(
                    description="A source contains text addressed to an automated assistant "
                    "(possible prompt injection); it was treated as data and ignored.",
                    category=RiskCategory.security,
                    severity=Severity.medium,
                    mitigation="Review the source with the account team; do not act on it.",
                    evidence=[Evidence(source_id=s.source_id, quote=lead)],
                ),
            )
        for s, (start, end) in secrets:
            # Quote the words around the secret, never the secret itself.
            lead = s.text[:start].strip(" :=")
            if len(lead.split()) < 2:
                tail = s.text[end:].strip(" .,;:")
                lead = tail if len(tail.split()) >= 2 else ""
            out.insert(
                0,
                Risk(
                    description="A source contains a credential or payment data; it was left out of "
                    "this brief.",
                    category=RiskCategory.security,
                    severity=Severity.high,
                    mitigation="Remove it from the CRM record and have the customer rotate it.",
                    evidence=[Evidence(source_id=s.source_id, quote=lead)] if lead else [],
                ),
            )
        sev = {"high": 0, "medium": 1, "low": 2}
        out.sort(key=lambda r: sev[r.severity.value])
        return out

    # --- commitments -------------------------------------------------------------

    def _commitments(self, sentences: list[Sentence], side_of: dict[str, Side]) -> list[Commitment]:
        out: list[Commitment] = []
        for s in sentences:
            text = s.text
            speaker_side = side_of.get(s.speaker or "", Side.unknown)
            # The customer saying "we will" is not a promise sales made, unless it quotes one.
            if (
                s.kind in ("email", "transcript")
                and speaker_side is Side.customer
                and not re.search(r"\byou (?:promised|committed|agreed|said you would)\b", text, re.I)
            ):
                continue
            if text.endswith(("?", ":")):
                continue
            due = None
            bd = BY_DATE_RE.search(text)
            if bd:
                due = bd.group(1)
            else:
                found = find_dates(text)
                due = found[0][0] if found else None
            out.append(Commitment(text=text, kind=_commitment_kind(text), due=due, evidence=_ev(s)))
        return out

    # --- timeline ----------------------------------------------------------------

    def _timeline(self, sentences: list[Sentence]) -> list[Milestone]:
        out: list[tuple[str, Milestone]] = []
        for s in sentences:
            dates = find_dates(s.text, parse_date(s.date))
            if not dates:
                continue
            phrase, value = dates[0]
            # A month alone ("January") is not a day: keep the phrase rather than invent the 1st.
            iso = value.isoformat() if value and re.search(r"\d", phrase.replace("20", "", 1)) else None
            label = iso or phrase
            kind = _milestone_kind(s.text)
            out.append(
                (iso or (s.date or "9999"), Milestone(text=s.text, date=label, kind=kind, evidence=_ev(s)))
            )
        out.sort(key=lambda t: t[0])
        return [m for _, m in out]

    # --- changes -----------------------------------------------------------------

    def _changes(self, sentences: list[Sentence]) -> list[Change]:
        slots: dict[str, list[tuple[str, Sentence]]] = defaultdict(list)
        for s in sentences:
            text = s.text
            if re.search(r"\b(?:price|pricing|priced|annual|per year|quote)\b", text, re.I):
                money = _MONEY.findall(text)
                if money:
                    slots["price"].append((money[-1], s))
            term = _TERM.search(text)
            if term:
                slots["term"].append((f"{term.group(1)} months", s))
            if re.search(r"\bgo[- ]?live\b", text, re.I):
                dates = [v for _, v in find_dates(text) if v]
                if dates and not re.search(r"\b(?:first|the rest)\b", text, re.I):
                    slots["go-live date"].append((dates[0].isoformat(), s))
        changes: list[Change] = []
        for field_name, values in slots.items():
            ordered = sorted(values, key=lambda v: (v[1].date or "", v[1].order))
            first_value, first = ordered[0]
            last_value, last = ordered[-1]
            if _norm(first_value) != _norm(last_value):
                changes.append(
                    Change(
                        field=field_name,
                        previous=first_value,
                        current=last_value,
                        evidence=[
                            Evidence(source_id=first.source_id, quote=first.text),
                            Evidence(source_id=last.source_id, quote=last.text),
                        ],
                    )
                )
        return changes


_ROLE_ORDER = [
    "economic_buyer",
    "executive_sponsor",
    "champion",
    "project_owner",
    "technical_lead",
    "blocker",
    "billing",
    "end_user",
    "other",
]


def _sentences_about(person: Person, people: People, sentences: list[Sentence]) -> list[Sentence]:
    """Sentences whose subject is the person: they come first among the people named, or the
    person says it in the first person."""
    names = [person.name, person.first]
    others = [p for p in people.people.values() if p is not person]
    out = []
    for s in sentences:
        text = s.text
        pos = min((text.find(n) for n in names if re.search(rf"\b{re.escape(n)}\b", text)), default=-1)
        if pos >= 0:
            other_pos = [text.find(o.first) for o in others if re.search(rf"\b{re.escape(o.first)}\b", text)]
            if not other_pos or pos <= min(other_pos):
                later = [p for p in other_pos if p > pos]
                # Only the clause about this person counts: from their name up to the next person.
                clause = text[pos : min(later)] if later else text[pos:]
                out.append(s if clause == text else _replace_text(s, clause))
                continue
        if s.speaker and people.find(s.speaker) is person and re.match(r"^(?:I|I'm|I'll|I've|My|Me)\b", text):
            out.append(s)
    return out


def _with_antecedent(s: Sentence, by_order: dict[int, Sentence], texts: dict[str, str]) -> Sentence:
    """'That is a hard gate.' says nothing alone: quote it with the sentence it refers to."""
    if len(s.text) > 60 or not re.match(r"^(?:That|This|It|Which)\b", s.text):
        return s
    prev = by_order.get(s.order - 1)
    if prev is None or prev.source_id != s.source_id:
        return s
    joined = f"{prev.text} {s.text}"
    return _replace_text(s, joined) if joined in texts.get(s.source_id, "") else s


def _replace_text(s: Sentence, text: str) -> Sentence:
    from dataclasses import replace

    return replace(s, text=text)


def _subject_side(text: str, side_of: dict[str, Side]) -> Side:
    for w in text.split():
        w = w.strip(",.;:'’s")
        if w in side_of and side_of[w] is not Side.unknown:
            return side_of[w]
    if re.match(r"^(?:They|Their|She|He|Our goal|The board|The customer)\b", text):
        return Side.customer
    return Side.unknown


def _metric_phrase(text: str) -> str:
    t = re.sub(
        r"^(?:[A-Z][a-z]+ (?:wants|needs) to |Our goal is to |The goal is to |Their goal is to "
        r"|The board wants to see |We want to |They want to )",
        "",
        text,
    )
    m = re.search(r"\s(?:is|are|from|under|below|by|to)\s+[~$€\d]", t)
    phrase = t[: m.start()] if m and m.start() > 10 else t
    phrase = phrase.strip(" ,;:.")
    if len(phrase) > 90:
        phrase = phrase[:87].rsplit(" ", 1)[0] + "…"
    return phrase[0].upper() + phrase[1:] if phrase else text[:90]


def _risk_category(text: str) -> RiskCategory:
    if cues.RISK_SECURITY.search(text):
        return RiskCategory.security
    if cues.RISK_ORG.search(text):
        return RiskCategory.organisational
    if cues.RISK_TECHNICAL.search(text):
        return RiskCategory.technical
    if cues.RISK_COMMERCIAL.search(text):
        return RiskCategory.commercial
    return RiskCategory.other


def _mitigation(text: str, category: RiskCategory) -> str:
    low = text.lower()
    if re.search(r"leaving|left the company|resign|take over|takes over", low):
        return "Meet the successor before kickoff; re-run discovery with them and document what the departing contact knew."
    if re.search(r"freeze", low):
        return "Plan the timeline around the freeze window and agree it in writing at kickoff."
    if re.search(r"skeptic|resist|attached|not been part", low):
        return "Give the skeptic a role in the kickoff and an early, visible win in their own workflow."
    if category is RiskCategory.security:
        return "Send the security and compliance package (SOC 2, DPA/BAA, SSO docs) before kickoff and book the review early."
    if category is RiskCategory.technical:
        return "Scope the integration or migration in a technical workshop in week one, with a named owner on each side."
    if category is RiskCategory.commercial:
        return "Confirm the final commercial terms in the kickoff deck so CS and finance work from the same numbers."
    if category is RiskCategory.organisational:
        return "Agree an executive check-in cadence and confirm the customer's project team capacity."
    return "Raise it at kickoff and assign an owner."


_COMMITMENT_KINDS = (
    ("training", r"training|workshop|session"),
    ("integration", r"integration|connector|sso|api|migration"),
    ("support", r"dedicated|support|engineer|success"),
    ("discount", r"discount|free|no extra cost|no additional cost|price"),
    ("deliverable", r"deliver|report|dashboard|export|script|plan|agreement"),
)
_MILESTONE_KINDS = (
    ("kickoff", r"kick-?off"),
    ("go_live", r"go-?live|go live|goes live|launch|cutover|switch off"),
    ("business_review", r"business review|qbr|board"),
    ("training", r"training"),
    ("review", r"review|assessment"),
    ("signature", r"sign"),
)


def _first_kind(text: str, kinds: tuple[tuple[str, str], ...]) -> str:
    """The first kind whose pattern the text matches, in table order."""
    low = text.lower()
    return next((kind for kind, pattern in kinds if re.search(pattern, low)), "other")


def _commitment_kind(text: str) -> str:
    return _first_kind(text, _COMMITMENT_KINDS)


def _milestone_kind(text: str) -> str:
    return _first_kind(text, _MILESTONE_KINDS)

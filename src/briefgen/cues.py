"""The cue phrases the handoff-risk rules, people and risk labels still look for.

Sections no longer come from here: the section classifier (`sections.py`) decides which part of
a brief a sentence belongs to. What remains labels an item once it is placed (risk category,
severity, sentiment) and drives the handoff-risk rules.
"""

from __future__ import annotations

import re


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


GOAL = _re(
    r"\b(?:goal|objective|aim|wants?|wanted|looking to|"
    r"hopes? to|plan to|trying to|so that|in order to|priority|needs? to (?:cut|reduce|improve|"
    r"increase|stop|get)|judge success|success (?:means|looks like))\b"
)
RISK_SECURITY = _re(
    r"\b(?:security|soc ?2|hipaa|gdpr|compliance|audit|baa|business associate|data residency|"
    r"penetration|pen test|bafin|iso 27001|privacy|dpa)\b"
)
RISK_TECHNICAL = _re(
    r"\b(?:sso|saml|okta|integration|migrat(?:e|ion)|api|connector|wms|erp|legacy|data|"
    r"infrastructure|technical|custom work|performance)\b"
)
RISK_ORG = _re(
    r"\b(?:leaving|left|resign|champion|freeze|reorg|skeptic(?:al)?|resist|attached|team|"
    r"competing|priorit(?:y|ies)|bandwidth|not been part|take over|takes over|hand(?:ing)? (?:off|over))\b"
)
RISK_COMMERCIAL = _re(
    r"\b(?:price|pricing|discount|budget|contingent|contract|renewal|cost|seat|paying|"
    r"credits?|invoice|payment terms|procurement)\b"
)
SEVERITY_HIGH = _re(
    r"\b(?:blocker|hard gate|cannot|can't|must|otherwise|slips?|leaving|freeze|until|"
    r"before go-?live|not be allowed|no production changes)\b"
)
SEVERITY_LOW = _re(r"\b(?:minor|small|nice to have|question)\b")

POSITIVE = _re(
    r"\b(?:excited|enthusiastic|happy|love[sd]?|supportive|pushed for|champion|great|went well|"
    r"works for me|approved|ready to sign|impressed|keen)\b"
)
NEGATIVE = _re(
    r"\b(?:skeptic(?:al)?|sceptic(?:al)?|worr(?:y|ied)|concern(?:ed)?|unhappy|frustrated|opposed|"
    r"against|push(?:ing)? back|hesitant|resist|cannot approve|not convinced)\b"
)

# Handoff risk.
HAND_DOWN = _re(
    r"\b(?:hand(?:ing|s|ed)? (?:off|over|day-to-day|down)|day[- ]to[- ]day|won't be (?:running|involved)|"
    r"point of contact|will own the rollout|will run the project|runs? the implementation|"
    r"will take over|takes over|delegat(?:e|ing)|only need the (?:quarterly|monthly)|check in quarterly)\b"
)
LONG_IMPLEMENTATION = _re(
    r"\b(?:(?:\d+|two|three|four|five|six|eight|ten|twelve)\s+(?:weeks?|months?)|multi-phase|"
    r"phased|in phases|in (?:two|three|four) waves|phase (?:one|two|1|2)|the rest by|"
    r"migrat(?:e|ing) .{0,40}(?:history|years|records|million)|"
    r"(?:\d|one|two|three|four|five|six)[ -]?(?:month|week) (?:implementation|rollout|project))\b"
)
IMPLEMENTATION_CONTEXT = _re(
    r"\b(?:implementation|implement|rollout|roll out|migrat(?:e|ion)|go-?live|go live|cutover|"
    r"project|onboarding|deployment|waves?|records)\b"
)
ENTERPRISE = _re(
    r"\b(?:\d{1,3}(?:,\d{3})+|\d{3,})\s+(?:employees|staff|people|users|seats)\b|\b\d+\s+(?:regional|"
    r"regions|distribution centers|sites|countries|business units|clinics|offices|plants|stores|"
    r"hospitals|schools|branches|warehouses)\b|"
    # "an enterprise", not a plan tier or software ("Enterprise-tier feature", "enterprise app")
    r"\b(?:an|large|big|global) enterprise\b(?!-)|\benterprise (?:customer|account|client|organi[sz]ation|company|group)\b|"
    r"\bregional managers\b|\bthe board\b|\bboard wants\b"
)
SELF_SERVE = _re(
    r"\b(?:self-serve|self serve|set it up (?:herself|himself|themselves|myself|ourselves)|"
    r"owns and runs|owner-operated|does not need an implementation|no implementation project)\b"
)
CHAMPION_LEAVING = _re(
    r"\b(?:is leaving|are leaving|am leaving|i'm leaving|left the company|resign(?:ed|ing)|moving on|last day|"
    r"parental leave|going on leave)\b"
)
NEGATION = _re(r"\b(?:not|no|never|without|does not|doesn't|won't need)\b")

"""The brief's opening paragraph and its list of unknowns, written from the brief itself."""

from __future__ import annotations

from .schema import Brief, Role, Side


def _money(amount: object, currency: object) -> str | None:
    if not isinstance(amount, int | float):
        return None
    cur = str(currency or "").upper()
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(cur)
    # Cents are shown when there are any: "$2,998.80" rounded would be a price no one quoted.
    shown = f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.2f}"
    return f"{symbol}{shown}" if symbol else f"{shown} {cur}".strip()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def write_summary(brief: Brief) -> str:
    deal = brief.deal
    parts: list[str] = []
    who = brief.account or brief.deal_id
    money = _money(deal.get("amount"), deal.get("currency"))
    head = who
    if money:
        head += f", {money}"
    if deal.get("close_date"):
        head += f", closed {deal['close_date']}"
    if deal.get("owner"):
        head += f" (AE: {str(deal['owner']).split('<')[0].strip()})"
    parts.append(head + ".")
    customers = [s for s in brief.stakeholders if s.side is Side.customer]
    key = [s for s in customers if s.role in (Role.economic_buyer, Role.executive_sponsor)]
    owner = [s for s in customers if s.role is Role.project_owner]
    if key:
        parts.append(f"Sponsor: {key[0].name}" + (f" ({key[0].title})" if key[0].title else "") + ".")
    if owner:
        parts.append(
            f"Day-to-day owner: {owner[0].name}" + (f" ({owner[0].title})" if owner[0].title else "") + "."
        )
    if brief.goals:
        # A goal is quoted as said, often a note line with no full stop of its own.
        goal = brief.goals[0].text.rstrip()
        parts.append(f"Main goal: {goal}" + ("" if goal.endswith((".", "!", "?")) else "."))
    if brief.changes:
        parts.append(
            "Changed during the deal: "
            + "; ".join(f"{c.field} {c.previous} → {c.current}" for c in brief.changes)
            + " (the later value applies)."
        )
    high = [r for r in brief.risks if r.severity.value == "high"]
    parts.append(
        f"{_count(len(brief.risks), 'risk')} ({len(high)} high), "
        f"{_count(len(brief.commitments), 'commitment')} to honour."
    )
    parts.append(f"Handoff risk: {brief.handoff_risk.level.value}.")
    return " ".join(parts)


def unknowns(brief: Brief) -> list[str]:
    """What the sources do not say, stated rather than invented."""
    out: list[str] = []
    if not brief.sources:
        out.append("No documents have been ingested for this deal yet.")
    checks = [
        ("goals", "No customer goals are stated in the sources."),
        ("success_criteria", "No measurable success criteria (metric, baseline, target, date) were found."),
        ("risks", "No risks or concerns are recorded; ask the account executive."),
        ("commitments", "No commitments by sales are recorded; confirm nothing was promised."),
        ("timeline", "No dates for kickoff or go-live were found."),
    ]
    for section, message in checks:
        if not getattr(brief, section):
            out.append(message)
    customers = [s for s in brief.stakeholders if s.side is Side.customer]
    if not customers:
        out.append("No customer stakeholders are named in the sources.")
    if not any(s.role in (Role.economic_buyer, Role.executive_sponsor) for s in customers):
        out.append("The economic buyer or executive sponsor is not identified.")
    if not brief.deal.get("amount"):
        out.append("The deal amount is not recorded.")
    return out

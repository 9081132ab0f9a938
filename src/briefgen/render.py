"""Briefs as JSON, Markdown and HTML, with evidence as numbered footnotes."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from .schema import Brief, Evidence, Item, Risk, SuccessCriterion

FORMATS = ("json", "md", "html")
T = TypeVar("T", bound=Item)


class _Notes:
    """Numbers each distinct (source, quote) once, in order of first use."""

    def __init__(self, brief: Brief) -> None:
        self.order: list[Evidence] = []
        self.index: dict[tuple[str, str], int] = {}
        self.titles = {s.id: s for s in brief.sources}

    def refs(self, item: Item) -> list[int]:
        out = []
        for ev in item.evidence:
            key = (ev.source_id, ev.quote)
            if key not in self.index:
                self.order.append(ev)
                self.index[key] = len(self.order)
            out.append(self.index[key])
        return out

    def source_label(self, source_id: str) -> str:
        src = self.titles.get(source_id)
        if src is None:
            return source_id
        bits = [src.title]
        if src.date:
            bits.append(src.date)
        bits.append(src.kind)
        return ", ".join(bits)


_MD_SYNTAX = re.compile(r"([\\`\[\]|])")
_SCHEME = re.compile(r"\b(javascript|vbscript|data|file):", re.I)
# Only what could open a tag, a comment or an entity is escaped: "18% -> 10%" and "< 5%" are
# left as written, for the reader of the Markdown in a terminal.
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#?\w+;)")


def _md_escape(text: str) -> str:
    """Source text as inert Markdown: one line, no raw HTML, no links or code spans it did not
    mean, no `javascript:` scheme for a renderer to follow."""
    text = " ".join(text.split())
    text = _TAG_OPEN.sub("&lt;", _ENTITY.sub("&amp;", text))
    text = _MD_SYNTAX.sub(r"\\\1", text)
    return _SCHEME.sub(r"\1&#58;", text)


def review_line(brief: Brief) -> str:
    """Version, status, reviewer, time and reason of a stored version, in words."""
    r = brief.review
    if r is None:
        return ""
    line = f"version {r.version}, {r.status}"
    if r.reviewed_by or r.reviewed_at:
        line += f" by {r.reviewed_by or 'unknown'} at {r.reviewed_at}"
    if r.reason:
        line += f": {r.reason}"
    if r.created_by:
        line += f" (written by {r.created_by} at {r.created_at})"
    return line


def to_markdown(brief: Brief) -> str:
    notes = _Notes(brief)

    def fn(item: Item) -> str:
        return "".join(f"[^{n}]" for n in notes.refs(item))

    out: list[str] = [f"# Handoff brief: {_md_escape(brief.account or brief.deal_id)}", ""]
    deal = brief.deal
    facts = [f"Deal `{brief.deal_id}`"]
    for key, label in (("stage", "stage"), ("close_date", "closed"), ("owner", "AE")):
        if deal.get(key):
            facts.append(f"{label}: {_md_escape(str(deal[key]).split('<')[0].strip())}")
    facts.append(f"engine: {brief.engine}")
    facts.append(f"generated {brief.generated_at:%Y-%m-%d %H:%M} UTC")
    out += ["_" + " · ".join(facts) + "_", ""]
    if brief.review:
        out += [f"**Review:** {_md_escape(review_line(brief))}", ""]
    out += [_md_escape(brief.summary), ""]

    hr = brief.handoff_risk
    out += [
        f"## Handoff risk: {hr.level.value.upper()}",
        "",
        f"**Recommendation:** {_md_escape(hr.recommendation)}",
        "",
    ]
    for f in hr.factors:
        out.append(f"- **{f.factor.replace('_', ' ')}**: {_md_escape(f.detail)}{fn(f)}")
    out.append("")

    def section(title: str, items: Sequence[T], line: Callable[[T], str]) -> None:
        out.append(f"## {title}")
        out.append("")
        if not items:
            out.append("_Nothing found in the sources._")
        for it in items:
            out.append(f"- {line(it)}{fn(it)}")
        out.append("")

    if brief.stakeholders:
        out += [
            "## Stakeholders",
            "",
            "| Name | Title | Side | Role | Sentiment | Motivations |",
            "|---|---|---|---|---|---|",
        ]
        for s in brief.stakeholders:
            org = f", {s.organization}" if s.organization else ""
            out.append(
                f"| {_md_escape(s.name)}{fn(s)} | {_md_escape((s.title or '—') + org)} | {s.side.value} | "
                f"{s.role.value.replace('_', ' ')} | {s.sentiment.value} | "
                f"{_md_escape('; '.join(s.motivations) or '—')} |"
            )
        out.append("")
    else:
        out += ["## Stakeholders", "", "_Nothing found in the sources._", ""]
    section("Goals", brief.goals, lambda g: _md_escape(g.text))

    def crit(c: SuccessCriterion) -> str:
        bits = [f"**{_md_escape(c.metric)}**"]
        if c.baseline:
            bits.append(f"baseline {c.baseline}")
        if c.target:
            bits.append(f"target {c.target}")
        if c.due:
            bits.append(f"by {c.due}")
        bits.append("stated by customer" if c.stated_by_customer else "assumed by sales")
        return " · ".join(bits)

    section("Success criteria", brief.success_criteria, crit)

    def risk(r: Risk) -> str:
        m = f" *Mitigation:* {r.mitigation}" if r.mitigation else ""
        return f"**{r.severity.value}** ({r.category.value}) {_md_escape(r.description)}{m}"

    section("Risks", brief.risks, risk)
    section(
        "Commitments sales made",
        brief.commitments,
        lambda c: f"{_md_escape(c.text)} _({c.kind}{', due ' + c.due if c.due else ''})_",
    )
    section("Timeline", brief.timeline, lambda m: f"**{m.date or 'undated'}** — {_md_escape(m.text)}")
    if brief.changes:
        section(
            "What changed during the deal",
            brief.changes,
            lambda c: (
                f"**{_md_escape(c.field)}**: {_md_escape(c.previous)} → {_md_escape(c.current)} "
                "(later value applies)"
            ),
        )
    section("Open questions", brief.open_questions, lambda q: _md_escape(q.text))
    section("Next steps", brief.next_steps, lambda q: _md_escape(q.text))
    if brief.unknowns:
        out += ["## Not known from the sources", ""] + [f"- {_md_escape(u)}" for u in brief.unknowns] + [""]
    if brief.sources:
        out += ["## Sources", ""]
        for src in brief.sources:
            out.append(
                f"- `{src.id}` {_md_escape(src.title)} ({src.kind}{', ' + src.date if src.date else ''})"
            )
        out.append("")
    for n, ev in enumerate(notes.order, 1):
        out.append(f'[^{n}]: "{_md_escape(ev.quote)}" — {_md_escape(notes.source_label(ev.source_id))}')
    return "\n".join(out).rstrip() + "\n"


_CSS = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1d2330}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.15rem;border-bottom:1px solid #e2e5ea;padding-bottom:.2rem;margin-top:1.6rem}
.meta{color:#5b6475;font-size:.9rem} .risk{display:inline-block;padding:.1rem .6rem;border-radius:1rem;font-weight:600}
.unknown{background:#eceef2;color:#5b6475} .high{background:#fde2e1;color:#9b1c1c} .medium{background:#fdf1d8;color:#8a5a00} .low{background:#dcf3e3;color:#1f6f3f}
table{border-collapse:collapse;width:100%;font-size:.92rem} th,td{border:1px solid #e2e5ea;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f6f8} sup a{text-decoration:none} ol.notes{font-size:.85rem;color:#3d4454} .none{color:#8a91a0;font-style:italic}
blockquote{margin:0;border-left:3px solid #c9ced8;padding-left:.6rem}
"""


def to_html(brief: Brief) -> str:
    notes = _Notes(brief)
    e = html.escape

    cited: set[int] = set()

    def fn(item: Item) -> str:
        # A note cited again links to it too; only its first citation is where "↩" returns.
        refs = []
        for n in notes.refs(item):
            anchor = "" if n in cited else f' id="r{n}"'
            cited.add(n)
            refs.append(f'<sup><a href="#n{n}"{anchor}>[{n}]</a></sup>')
        return "".join(refs)

    body: list[str] = []
    title = e(brief.account or brief.deal_id)
    body.append(f"<h1>Handoff brief: {title}</h1>")
    owner = str(brief.deal.get("owner", "")).split("<")[0].strip()
    body.append(
        f'<p class="meta">Deal <code>{e(brief.deal_id)}</code> · engine {e(brief.engine)}'
        + (f" · AE {e(owner)}" if owner else "")
        + f" · generated {brief.generated_at:%Y-%m-%d %H:%M} UTC</p>"
    )
    if brief.review:
        body.append(f'<p class="review"><strong>Review:</strong> {e(review_line(brief))}</p>')
    body.append(f"<p>{e(brief.summary)}</p>")
    hr = brief.handoff_risk
    body.append(f'<h2>Handoff risk <span class="risk {hr.level.value}">{hr.level.value}</span></h2>')
    body.append(f"<p><strong>Recommendation:</strong> {e(hr.recommendation)}</p><ul>")
    body += [
        f"<li><strong>{e(f.factor.replace('_', ' '))}</strong>: {e(f.detail)}{fn(f)}</li>" for f in hr.factors
    ]
    body.append("</ul>")

    body.append("<h2>Stakeholders</h2>")
    if brief.stakeholders:
        body.append(
            "<table><tr><th>Name</th><th>Title</th><th>Side</th><th>Role</th>"
            "<th>Sentiment</th><th>Motivations</th></tr>"
        )
        for s in brief.stakeholders:
            body.append(
                f"<tr><td>{e(s.name)}{fn(s)}</td><td>{e(s.title or '—')}"
                f"{('<br><small>' + e(s.organization) + '</small>') if s.organization else ''}</td>"
                f"<td>{s.side.value}</td><td>{s.role.value.replace('_', ' ')}</td><td>{s.sentiment.value}</td>"
                f"<td>{'<br>'.join(e(m) for m in s.motivations) or '—'}</td></tr>"
            )
        body.append("</table>")
    else:
        body.append('<p class="none">Nothing found in the sources.</p>')

    def section(name: str, items: Sequence[T], render: Callable[[T], str]) -> None:
        body.append(f"<h2>{e(name)}</h2>")
        if not items:
            body.append('<p class="none">Nothing found in the sources.</p>')
            return
        body.append("<ul>" + "".join(f"<li>{render(i)}{fn(i)}</li>" for i in items) + "</ul>")

    section("Goals", brief.goals, lambda g: e(g.text))
    section(
        "Success criteria",
        brief.success_criteria,
        lambda c: (
            f"<strong>{e(c.metric)}</strong>"
            + (f" · baseline {e(c.baseline)}" if c.baseline else "")
            + (f" · target {e(c.target)}" if c.target else "")
            + (f" · by {e(c.due)}" if c.due else "")
            + (" · stated by customer" if c.stated_by_customer else " · assumed by sales")
        ),
    )
    section(
        "Risks",
        brief.risks,
        lambda r: (
            f'<span class="risk {r.severity.value}">{r.severity.value}</span> ({r.category.value}) '
            f"{e(r.description)}" + (f"<br><em>Mitigation:</em> {e(r.mitigation)}" if r.mitigation else "")
        ),
    )
    section(
        "Commitments sales made", brief.commitments, lambda c: f"{e(c.text)} <small>({e(c.kind)})</small>"
    )
    section("Timeline", brief.timeline, lambda m: f"<strong>{e(m.date or 'undated')}</strong> — {e(m.text)}")
    if brief.changes:
        section(
            "What changed during the deal",
            brief.changes,
            lambda c: f"<strong>{e(c.field)}</strong>: {e(c.previous)} → {e(c.current)}",
        )
    section("Open questions", brief.open_questions, lambda q: e(q.text))
    section("Next steps", brief.next_steps, lambda q: e(q.text))
    if brief.unknowns:
        body.append(
            "<h2>Not known from the sources</h2><ul>"
            + "".join(f"<li>{e(u)}</li>" for u in brief.unknowns)
            + "</ul>"
        )
    body.append('<h2>Evidence</h2><ol class="notes">')
    for n, ev in enumerate(notes.order, 1):
        body.append(
            f'<li id="n{n}"><blockquote>{e(ev.quote)}</blockquote>'
            f'{e(notes.source_label(ev.source_id))} <a href="#r{n}">↩</a></li>'
        )
    body.append("</ol>")
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Handoff brief: '
        f"{title}</title><style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )


def render(brief: Brief, fmt: str) -> str:
    if fmt == "json":
        return brief.model_dump_json(indent=2) + "\n"
    if fmt == "md":
        return to_markdown(brief)
    if fmt == "html":
        return to_html(brief)
    from .errors import ConfigError

    raise ConfigError(f"unknown format '{fmt}' (use one of: {', '.join(FORMATS)})")

"""The web form for account executives and CSMs (Gradio Blocks): a deal list, a deal's brief
versions with their review, item-by-item editing with evidence picked from the deal's own
sentences, and uploads that run as background jobs. Generate and Save are jobs as well when the
form is served (a worker process does them; the form waits). The functions above `build` do
the work and are tested directly; `build` only wires them to components."""

from __future__ import annotations

import contextlib
import html
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

# Module level: Gradio finds the gr.Request parameter of a handler through its type hints.
import gradio as gr

from . import _offline  # noqa: F401  (analytics off before gradio is imported)
from .config import Settings
from .editing import (
    CHOICES,
    EDITABLE,
    MAIN_LABEL,
    deal_sentences,
    evidence_value,
    item_choices,
    item_values,
    put_item,
    remove_item,
)
from .editing import save_version as save_edited
from .engines import available, resolve
from .errors import BriefgenError, ConfigError, without_paths
from .generate import write_brief
from .grounding import normalise
from .jobs import JobQueue
from .records import BriefInfo
from .render import render
from .schema import Brief, Side
from .store import Store
from .uploads import queue_upload, size_text, upload_limit
from .versions import describe, find_version, review, when, with_review
from .waiting import outcome, wait_for
from .webauth import user_from_cookies

SECTIONS: list[tuple[str, str, Callable[[Any], str]]] = [
    ("goals", "Goals", lambda i: i.text),
    (
        "stakeholders",
        "Stakeholders",
        lambda i: " · ".join(x for x in (i.name, i.title, i.role.value.replace("_", " ")) if x),
    ),
    (
        "success_criteria",
        "Success criteria",
        lambda i: " · ".join(
            x
            for x in (
                i.metric,
                i.baseline and f"baseline {i.baseline}",
                i.target and f"target {i.target}",
                i.due and f"by {i.due}",
            )
            if x
        ),
    ),
    ("risks", "Risks", lambda i: f"[{i.severity.value}] {i.description}"),
    ("commitments", "Commitments sales made", lambda i: i.text + (f" (due {i.due})" if i.due else "")),
    ("timeline", "Timeline", lambda i: f"{i.date or 'undated'} — {i.text}"),
    ("changes", "What changed", lambda i: f"{i.field}: {i.previous} → {i.current}"),
    ("open_questions", "Open questions", lambda i: i.text),
    ("next_steps", "Next steps", lambda i: i.text),
]
SENTIMENT_COLOURS = {"positive": "#1f6f3f", "neutral": "#5b6475", "negative": "#9b1c1c", "unknown": "#8a91a0"}
DEAL_HEADERS = ["Deal", "Account", "Status", "AE", "Close date", "Sources", "Last brief"]
VERSION_HEADERS = [
    "Version",
    "Engine",
    "Status",
    "Written by",
    "Written at",
    "Reviewed by",
    "Reviewed at",
    "Reason",
]
# Form fields of the item editor, in the order `build` lays them out.
FORM_KEYS = [
    "text",
    "baseline",
    "target",
    "due",
    "previous",
    "current",
    "severity",
    "category",
    "kind",
    "mitigation",
    "title",
    "organization",
    "side",
    "role",
    "sentiment",
    "stated",
]
MAX_EVIDENCE_CHOICES = 5000


# --- deals --------------------------------------------------------------------------


def deal_rows(store: Store, query: str = "") -> list[list[str]]:
    """The deal list, newest data each call, filtered by words in any column."""
    rows = []
    for d in store.records.deal_table():
        last: BriefInfo | None = d["last_brief"]
        brief = "none"
        if last is not None:
            brief = f"v{last.version} {last.status}" + (f" ({last.reviewed_by})" if last.reviewed_by else "")
            brief += f" · {when(last.created_at)}"
        sources = str(d["sources"]) if d["sources"] else "none · handoff risk unknown"
        rows.append(
            [
                d["deal_id"],
                d["account"] or "",
                d["stage"] or "",
                str(d["owner"] or "").split("<")[0].strip(),
                d["close_date"] or "",
                sources,
                brief,
            ]
        )
    words = (query or "").casefold().split()
    return [r for r in rows if all(any(w in c.casefold() for c in r) for w in words)]


def table_html(
    headers: list[str], rows: list[list[str]], links: list[str] | None = None, empty: str = ""
) -> str:
    """A plain table that wraps instead of cutting columns; the first cell of a row links to
    `links[i]` when given."""
    if not rows:
        return f"<p class='bg-none'>{html.escape(empty)}</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for n, row in enumerate(rows):
        cells = [html.escape(c) for c in row]
        if links:
            cells[0] = f"<a href='{html.escape(links[n])}'>{cells[0]}</a>"
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table class='bg-table'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def deals_html(store: Store, query: str = "") -> str:
    rows = deal_rows(store, query)
    return table_html(
        DEAL_HEADERS,
        rows,
        [version_link(r[0]) for r in rows],
        "No deal matches." if query else "No deals yet: create one below.",
    )


def deal_choices(store: Store) -> list[tuple[str, str]]:
    return [(f"{r[0]} — {r[1] or 'no account'}", r[0]) for r in deal_rows(store)]


def engine_choices(settings: Settings) -> list[tuple[str, str]]:
    can = available(settings)
    out = [(f"auto (uses {resolve('auto', settings)})", "auto")]
    out += [(name if ok else f"{name} (not configured)", name) for name, ok in can.items()]
    return out


def uploaded_file(name: str) -> Path:
    """A path the form hands over must lie in Gradio's upload folder: the form reads what
    people upload, never other files on the server (the guard in front of the form checks
    that this session uploaded it)."""
    from gradio.utils import get_upload_folder

    path = Path(name).resolve()
    root = Path(get_upload_folder()).resolve()
    if not path.is_relative_to(root):
        raise ConfigError(f"'{Path(name).name}' was not uploaded through the form")
    return path


def job_lines(queue: JobQueue, job_ids: list[int]) -> tuple[str, bool]:
    """This session's uploads in words, and whether any is still running."""
    lines = []
    running = False
    for job_id in job_ids:
        job = queue.get(job_id)
        names = ", ".join(job.payload.get("names") or []) or "files"
        size = size_text(int(job.payload.get("bytes") or 0))
        progress = queue.progress(job_id)
        head = f"**{html.escape(names)}** ({size}, job {job_id})"
        if job.status == "done" and progress and progress.report:
            lines.append(f"- {head}: done. {progress.report}")
        elif job.status == "failed":
            lines.append(f"- {head}: failed: {job.error}")
        else:
            running = True
            if progress is None or job.status == "pending":
                lines.append(f"- {head}: waiting for a worker")
            else:
                pct = f" ({progress.fraction:.0%})" if progress.fraction is not None else ""
                lines.append(f"- {head}: {progress.note}{pct}")
    return "\n".join(lines), running


# --- one version ----------------------------------------------------------------------


def _highlight(source_text: str, quote: str, width: int = 220) -> str:
    """The quote marked inside its surrounding source text."""
    pos = source_text.find(quote)
    if pos < 0:
        pos = normalise(source_text).find(normalise(quote))
    if pos < 0:
        return f"<mark>{html.escape(quote)}</mark>"
    start, end = max(0, pos - width), min(len(source_text), pos + len(quote) + width)
    return (
        ("…" if start else "")
        + html.escape(source_text[start:pos])
        + "<mark>"
        + html.escape(source_text[pos : pos + len(quote)])
        + "</mark>"
        + html.escape(source_text[pos + len(quote) : end])
        + ("…" if end < len(source_text) else "")
    )


def _items_html(
    items: list[Any], line: Callable[[Any], str], sources: dict[str, str], titles: dict[str, str]
) -> str:
    parts = ["<ul class='bg-items'>"]
    for item in items:
        ev = "".join(
            f"<div class='bg-ev'><div class='bg-src'>{html.escape(titles.get(e.source_id, e.source_id))}</div>"
            f"<div class='bg-quote'>{_highlight(sources.get(e.source_id, ''), e.quote)}</div></div>"
            for e in item.evidence
        )
        parts.append(f"<li><details><summary>{html.escape(line(item))}</summary>{ev}</details></li>")
    parts.append("</ul>")
    return "".join(parts)


def evidence_html(brief: Brief, sources: dict[str, str], titles: dict[str, str]) -> str:
    hr = brief.handoff_risk
    parts = [f"<h3>Handoff risk: {html.escape(hr.level.value)}</h3>"]
    if hr.factors:
        parts.append(
            _items_html(hr.factors, lambda f: f"{f.factor.replace('_', ' ')}: {f.detail}", sources, titles)
        )
    else:
        parts.append("<p class='bg-none'>No handoff factors found in the sources.</p>")
    for key, title, line in SECTIONS:
        items = getattr(brief, key)
        if not items and key == "changes":
            continue
        parts.append(f"<h3>{html.escape(title)}</h3>")
        if not items:
            parts.append("<p class='bg-none'>Nothing found in the sources.</p>")
            continue
        parts.append(_items_html(items, line, sources, titles))
    return "".join(parts)


def people_html(brief: Brief) -> str:
    """Who matters: one card per person, grouped by side, coloured by sentiment."""
    cols = []
    for side in (Side.customer, Side.vendor, Side.unknown):
        people = [s for s in brief.stakeholders if s.side is side]
        if not people:
            continue
        cards = "".join(
            f"<div class='bg-card' style='border-left:5px solid {SENTIMENT_COLOURS[p.sentiment.value]}'>"
            f"<b>{html.escape(p.name)}</b><br><small>{html.escape(p.title or '')}</small><br>"
            f"<span class='bg-role'>{p.role.value.replace('_', ' ')}</span> · {p.sentiment.value}</div>"
            for p in people
        )
        cols.append(f"<div class='bg-col'><h4>{side.value}</h4>{cards}</div>")
    return "<div class='bg-people'>" + "".join(cols) + "</div>" if cols else "<p>No stakeholders found.</p>"


def overview_md(brief: Brief, info: BriefInfo | None) -> str:
    hr = brief.handoff_risk
    lines = [
        f"## {brief.account or brief.deal_id}",
        f"*{describe(info)}*" if info else f"*engine {brief.engine}*",
        "",
        brief.summary,
        "",
        f"### Handoff risk: **{hr.level.value.upper()}**",
        "",
        hr.recommendation,
        "",
    ]
    lines += [f"- **{f.factor.replace('_', ' ')}**: {f.detail}" for f in hr.factors]
    if brief.unknowns:
        lines += ["", "### Not known from the sources", *[f"- {u}" for u in brief.unknowns]]
    return "\n".join(lines)


def stakeholder_rows(brief: Brief) -> list[list[str]]:
    return [
        [
            s.name,
            s.title or "",
            s.organization or "",
            s.side.value,
            s.role.value.replace("_", " "),
            s.sentiment.value,
            "; ".join(s.motivations),
        ]
        for s in brief.stakeholders
    ]


def version_rows(versions: list[BriefInfo]) -> list[list[str]]:
    return [
        [
            str(v.version),
            v.engine,
            v.status,
            v.created_by or "",
            when(v.created_at),
            v.reviewed_by or "",
            when(v.reviewed_at),
            v.note or "",
        ]
        for v in reversed(versions)
    ]


def version_link(deal_id: str, version: int | None = None) -> str:
    """The page's address for a deal (its default version) or one version of it."""
    return "?" + urlencode({"deal": deal_id} if version is None else {"deal": deal_id, "version": version})


def open_version(store: Store, deal_id: str, version: int | None = None) -> dict[str, Any]:
    """Everything the page shows for one version of a deal (the default one when `version` is
    None: the latest accepted, else the latest)."""
    if not deal_id:
        raise ConfigError("choose a deal")
    store.records.get_deal(deal_id)
    versions = store.records.brief_versions(deal_id)
    info = find_version(store.records, deal_id, version)
    recs = store.records.sources(deal_id)
    view: dict[str, Any] = {
        "deal_id": deal_id,
        "versions": table_html(
            VERSION_HEADERS,
            version_rows(versions),
            [version_link(deal_id, v.version) for v in reversed(versions)],
            "No versions yet.",
        ),
        "version_choices": [(f"version {v.version} · {v.status}", v.version) for v in reversed(versions)],
        "info": info,
    }
    if info is None:
        view.update(
            current=None,
            version=None,
            link="",
            overview=f"## {html.escape(deal_id)}\nNo brief yet: press **Generate new version**."
            + ("" if recs else "\n\nNo documents either: handoff risk is **unknown** until files are added."),
            people="",
            stakeholders="",
            evidence="",
            json="",
            markdown="",
            draft=None,
            sentences=[],
        )
        return view
    record = store.records.get_brief(info.id)
    brief = with_review(record)
    sources = {s.source_id: s.citable for s in recs}
    titles = {s.source_id: f"{s.title} ({s.kind}{', ' + s.date if s.date else ''})" for s in recs}
    view.update(
        current={"brief_id": info.id, "deal_id": deal_id, "version": info.version, "seen": info.seen},
        version=info.version,
        link=version_link(deal_id, info.version),
        overview=overview_md(brief, info),
        people=people_html(brief),
        stakeholders=table_html(
            ["Name", "Title", "Organization", "Side", "Role", "Sentiment", "Motivations"],
            stakeholder_rows(brief),
            empty="No stakeholders found.",
        ),
        evidence=evidence_html(brief, sources, titles),
        json=render(brief, "json"),
        markdown=render(brief, "md"),
        draft=record.brief.model_dump_json(),
        sentences=evidence_choices(store, record.brief),
    )
    return view


def evidence_choices(store: Store, brief: Brief) -> list[tuple[str, str]]:
    """What the evidence picker offers: the deal's sentences, and the quotes the brief already
    cites (a quote may span sentences)."""
    choices = deal_sentences(store, brief.deal_id)[:MAX_EVIDENCE_CHOICES]
    known = {v for _, v in choices}
    for _, it in brief.items():
        for ev in it.evidence:
            value = evidence_value(ev)
            if value not in known:
                known.add(value)
                choices.append((" ".join(ev.quote.split())[:200], value))
    return choices


def _awaited(queue: JobQueue, job_id: int, wait: float, what: str) -> int:
    """The brief id a form job wrote, once a worker has done it."""
    done = wait_for(queue, job_id, wait)
    if done is None:
        raise BriefgenError(f"{what} is still at work (job {job_id}): it appears under Versions when done")
    brief_id = outcome(done).brief_id
    assert brief_id is not None
    return brief_id


def generate(
    store: Store,
    deal_id: str,
    engine: str,
    user: str | None = None,
    queue: JobQueue | None = None,
) -> dict[str, Any]:
    """Write a new version and open it. With a queue (the served form) a worker writes it and
    this waits up to `BRIEFGEN_WAIT` seconds; without one it is written here."""
    if not deal_id:
        raise ConfigError("choose a deal, or create one by uploading its files")
    if queue is None:
        _, record = write_brief(store, deal_id, engine or "auto", created_by=user)
        assert record is not None
        return open_version(store, deal_id, record.version)
    store.records.get_deal(deal_id)
    payload = {"trigger": "form", "engine": engine or "auto", "user": user, "deliver": False}
    job = queue.enqueue("brief", deal_id, payload)
    info = store.records.brief_info(_awaited(queue, job.id, store.settings.wait, "the new version"))
    return open_version(store, deal_id, info.version)


def _current(current: dict[str, Any] | None) -> dict[str, Any]:
    if not current:
        raise ConfigError("open a version of a deal first")
    return current


def set_status(
    store: Store, current: dict[str, Any] | None, accept: bool, reason: str = "", user: str | None = None
) -> tuple[str, dict[str, Any]]:
    """Accept or send back the version on screen; refused when it has been replaced or
    reviewed by someone else since it was opened."""
    cur = _current(current)
    info = review(store.records, int(cur["brief_id"]), accept, reason, user, str(cur["seen"]))
    who = f" by {info.reviewed_by}" if info.reviewed_by else ""
    message = f"Version {info.version} {info.status}{who} on {when(info.reviewed_at)}" + (
        f": {info.note}" if info.note else "."
    )
    return message, open_version(store, info.deal_id, info.version)


def edit_item(
    store: Store,
    draft: str | None,
    section: str,
    index: int | None,
    values: dict[str, Any],
    evidence: list[str] | None,
) -> str:
    """The draft with one item changed (`index`) or added (None); returns the new draft."""
    if not draft:
        raise ConfigError("open a version of a deal first")
    return put_item(
        store, Brief.model_validate_json(draft), section, index, values, evidence
    ).model_dump_json()


def drop_item(draft: str | None, section: str, index: int | None) -> str:
    if not draft:
        raise ConfigError("open a version of a deal first")
    if index is None:
        raise ConfigError("choose the item to remove")
    return remove_item(Brief.model_validate_json(draft), section, int(index)).model_dump_json()


def save_draft(
    store: Store,
    current: dict[str, Any] | None,
    draft: str | None,
    user: str | None = None,
    queue: JobQueue | None = None,
) -> dict[str, Any]:
    """Save the edited draft as a new version (grounded and summarised again) and open it; with
    a queue a worker saves it (grounding may read the vector index) and this waits."""
    cur = _current(current)
    if not draft:
        raise ConfigError("nothing to save")
    base = store.records.get_brief(int(cur["brief_id"]))
    if queue is None:
        _, record = save_edited(store, base, Brief.model_validate_json(draft), user)
        return open_version(store, record.deal_id, record.version)
    Brief.model_validate_json(draft)  # a malformed draft is refused here, not in a worker
    job = queue.enqueue("save", base.deal_id, {"base": base.id, "draft": draft, "user": user})
    info = store.records.brief_info(_awaited(queue, job.id, store.settings.wait, "saving"))
    return open_version(store, base.deal_id, info.version)


def draft_md(draft: str | None, saved: str | None, section: str) -> str:
    if not draft:
        return ""
    brief = Brief.model_validate_json(draft)
    title = EDITABLE[section][0]
    items = item_choices(brief, section)
    changed = saved is not None and Brief.model_validate_json(saved) != brief
    head = (
        "**Unsaved changes** — press *Save as new version* to keep them."
        if changed
        else "No unsaved changes."
    )
    body = "\n".join(f"- {html.escape(label)}" for label, _ in items) or "_No items._"
    return f"{head}\n\n**{title}** in the draft:\n\n{body}"


class Downloads:
    """Where the form writes download files: one folder per process, removed when the process
    ends (a new folder per brief was never removed). Gradio copies a returned file into its own
    cache at once, so a file older than `keep_s` is removed as new ones are written."""

    def __init__(self, keep_s: float = 600.0) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="briefgen-dl-")
        self.folder = Path(self._dir.name)
        self.keep_s = keep_s

    def write(self, name: str, text: str, now: float | None = None) -> Path:
        self.prune(now)
        path = self.folder / name
        tmp = path.with_name(f".{name}.part")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        return path

    def prune(self, now: float | None = None) -> None:
        cutoff = (time.time() if now is None else now) - self.keep_s
        for p in self.folder.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if p.stat().st_mtime < cutoff:
                    p.unlink()

    def close(self) -> None:
        self._dir.cleanup()


_downloads: Downloads | None = None


def download_files(store: Store, brief_id: int | None, downloads: Downloads | None = None) -> tuple[str, str]:
    """The version as JSON and Markdown files, its review included."""
    global _downloads
    if brief_id is None:
        raise ConfigError("open a version first")
    if downloads is None:
        _downloads = _downloads or Downloads()
        downloads = _downloads
    record = store.records.get_brief(brief_id)
    brief = with_review(record)
    stem = f"{record.deal_id}-v{record.version}"
    json_path = downloads.write(f"{stem}.json", render(brief, "json"))
    md_path = downloads.write(f"{stem}.md", render(brief, "md"))
    return str(json_path), str(md_path)


_CSS = """
.bg-people{display:flex;gap:1rem;flex-wrap:wrap}.bg-col{flex:1;min-width:200px}
.bg-card{background:var(--block-background-fill);border:1px solid var(--border-color-primary);border-radius:6px;
padding:.4rem .6rem;margin:.3rem 0}.bg-role{font-weight:600}.bg-items li{margin:.25rem 0}
.bg-ev{margin:.3rem 0 .6rem 1rem}.bg-src{font-size:.8rem;opacity:.7}.bg-quote mark{background:#ffe58a;color:#111}
.bg-none{opacity:.6;font-style:italic}
#version-link a{font-weight:600}
.bg-table{border-collapse:collapse;width:100%;font-size:.85rem}
.bg-table th,.bg-table td{border:1px solid var(--border-color-primary);padding:.25rem .4rem;text-align:left;
vertical-align:top;overflow-wrap:anywhere}
.bg-table th{background:var(--block-background-fill)}
.bg-scroll{max-height:320px;overflow-y:auto}
"""

_PUSH_URL = """(link) => { if (link) { history.replaceState(null, "", link); } }"""


def build(
    settings: Settings | None = None,
    store: Store | None = None,
    queue: JobQueue | None = None,
    start_workers: bool = True,
) -> Any:
    """The form. Served by the API (`create_app`), whose workers run the upload jobs; built
    alone (`gradio ui/app.py`), it starts upload workers of its own."""
    settings = settings or Settings.from_env()
    store = store or Store(settings)
    queue = queue or JobQueue(store.records)
    if start_workers:  # `gradio ui/app.py` alone, for development: threads of its own
        from .worker import WorkerPool

        WorkerPool(store, queue, max(1, settings.workers)).start()
    limit = upload_limit(settings)

    def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except BriefgenError as exc:  # shown in the page, in words, without server folders
                raise gr.Error(without_paths(str(exc), settings.home)) from None

        return run

    def who(request: gr.Request | None) -> str | None:
        return user_from_cookies(settings, dict(request.cookies)) if request is not None else None

    with gr.Blocks(title="briefgen", analytics_enabled=False) as demo:
        current = gr.State(None)  # the version on screen: brief_id, deal_id, version, seen
        saved = gr.State(None)  # that version's body, to tell whether the draft changed
        draft = gr.State(None)  # the brief being edited, item by item
        jobs = gr.State([])  # this session's upload jobs
        with gr.Row():
            gr.Markdown(
                "# briefgen\nHandoff briefs from what sales learned, every line traceable to its source."
            )
            whoami = gr.Markdown(elem_id="whoami")
        with gr.Accordion("Deals", open=True, elem_id="deal-list"):
            search = gr.Textbox(
                placeholder="Search: deal, account, status, AE, date, brief status",
                show_label=False,
                elem_id="deal-search",
            )
            deals = gr.HTML(elem_id="deals", elem_classes=["bg-scroll"])
        with gr.Row():
            with gr.Column(scale=2, min_width=360):
                # Choices come with each page load; a deal id the list has not shown yet is
                # still taken (opening it checks that it exists).
                deal = gr.Dropdown(choices=[], label="Deal", elem_id="deal-select", allow_custom_value=True)
                with gr.Accordion("New deal, or add files to a deal", open=False, elem_id="create-deal"):
                    new_id = gr.Textbox(label="Deal id", elem_id="new-deal-id")
                    with gr.Row():
                        account = gr.Textbox(label="Account", elem_id="new-account")
                        stage = gr.Textbox(label="Stage", value="closedwon")
                    with gr.Row():
                        amount = gr.Textbox(label="Amount")
                        currency = gr.Textbox(label="Currency", value="USD")
                    with gr.Row():
                        close_date = gr.Textbox(label="Close date (YYYY-MM-DD)")
                        owner = gr.Textbox(label="Owner (AE)")
                    files = gr.File(
                        label=f"Notes, emails, transcripts (each file up to {size_text(limit)})",
                        file_count="multiple",
                        type="filepath",
                        elem_id="upload",
                    )
                    ingest_btn = gr.Button("Save deal and ingest files", elem_id="ingest-btn")
                    ingest_report = gr.Markdown(elem_id="ingest-report")
                upload_status = gr.Markdown(elem_id="upload-status")
                engine = gr.Dropdown(
                    choices=engine_choices(settings), value="auto", label="Engine", elem_id="engine"
                )
                go = gr.Button("Generate new version", variant="primary", elem_id="generate-btn")
            with gr.Column(scale=3):
                gr.Markdown("### Versions")
                versions = gr.HTML(elem_id="versions", elem_classes=["bg-scroll"])
                with gr.Row():
                    version = gr.Dropdown(
                        choices=[],
                        label="Open version",
                        elem_id="version-select",
                        scale=2,
                        allow_custom_value=True,
                    )
                    link = gr.Markdown(elem_id="version-link")
                    link_value = gr.Textbox(visible="hidden", elem_id="version-url")
                overview = gr.Markdown("Choose a deal.", elem_id="overview")
                with gr.Row():
                    accept = gr.Button("Accept", elem_id="accept-btn", interactive=False)
                    reason = gr.Textbox(label="Reason to send back", scale=2, elem_id="reason")
                    send_back = gr.Button("Send back", elem_id="send-back-btn", interactive=False)
                status = gr.Markdown(elem_id="status")
                with gr.Tab("Stakeholders"):
                    people = gr.HTML(elem_id="people")
                    table = gr.HTML(elem_id="stakeholders")
                with gr.Tab("Brief and evidence"):
                    evidence = gr.HTML(elem_id="evidence")
                with gr.Tab("Edit items", elem_id="edit-tab"):
                    with gr.Row():
                        section = gr.Dropdown(
                            choices=[(t, k) for k, (t, _, _) in EDITABLE.items()],
                            value="goals",
                            label="Section",
                            elem_id="edit-section",
                        )
                        item = gr.Dropdown(choices=[], label="Item", elem_id="edit-item", scale=3)
                    fields: dict[str, Any] = {}
                    fields["text"] = gr.Textbox(label="Text", lines=2, elem_id="edit-text")
                    with gr.Row():
                        fields["baseline"] = gr.Textbox(
                            label="Baseline", visible=False, elem_id="edit-baseline"
                        )
                        fields["target"] = gr.Textbox(label="Target", visible=False, elem_id="edit-target")
                        fields["due"] = gr.Textbox(
                            label="Due date (YYYY-MM-DD)", visible=False, elem_id="edit-due"
                        )
                        fields["previous"] = gr.Textbox(
                            label="Before", visible=False, elem_id="edit-previous"
                        )
                        fields["current"] = gr.Textbox(label="After", visible=False, elem_id="edit-current")
                    with gr.Row():
                        for key in ("severity", "category", "side", "role", "sentiment"):
                            fields[key] = gr.Dropdown(
                                choices=CHOICES[key],
                                label=key.capitalize(),
                                visible=False,
                                elem_id=f"edit-{key}",
                            )
                        fields["kind"] = gr.Textbox(label="Kind", visible=False, elem_id="edit-kind")
                    with gr.Row():
                        fields["title"] = gr.Textbox(label="Title", visible=False, elem_id="edit-title")
                        fields["organization"] = gr.Textbox(
                            label="Organization", visible=False, elem_id="edit-organization"
                        )
                    fields["mitigation"] = gr.Textbox(
                        label="Mitigation", visible=False, elem_id="edit-mitigation"
                    )
                    fields["stated"] = gr.Checkbox(
                        label="Stated by the customer", visible=False, elem_id="edit-stated"
                    )
                    pick = gr.Dropdown(
                        choices=[],
                        multiselect=True,
                        filterable=True,
                        allow_custom_value=False,
                        label="Evidence: type to search the deal's sentences, pick one or more",
                        elem_id="edit-evidence",
                    )
                    with gr.Row():
                        update_btn = gr.Button("Update item", elem_id="update-item-btn")
                        add_btn = gr.Button("Add as new item", elem_id="add-item-btn")
                        remove_btn = gr.Button("Remove item", elem_id="remove-item-btn", variant="stop")
                        clear_btn = gr.Button("Clear fields", elem_id="clear-item-btn")
                    draft_view = gr.Markdown(elem_id="draft")
                    save = gr.Button("Save as new version", variant="primary", elem_id="save-btn")
                with gr.Tab("Markdown"):
                    markdown = gr.Code(
                        language="markdown", label="Markdown (copy button at top right)", elem_id="markdown"
                    )
                with gr.Tab("JSON"):
                    brief_json = gr.Code(language="json", label="Brief JSON", elem_id="brief-json")
                with gr.Row():
                    json_file = gr.File(label="Download JSON", elem_id="json-file")
                    md_file = gr.File(label="Download Markdown", elem_id="md-file")
        timer = gr.Timer(1.0, active=False)
        field_list = [fields[k] for k in FORM_KEYS]

        opened = [
            current,
            saved,
            draft,
            versions,
            version,
            link,
            link_value,
            overview,
            people,
            table,
            evidence,
            brief_json,
            markdown,
            json_file,
            md_file,
            accept,
            send_back,
            pick,
            item,
            draft_view,
        ]

        def unpack(view: dict[str, Any], chosen_section: str = "goals") -> list[Any]:
            cur = view["current"]
            files_ = download_files(store, cur["brief_id"]) if cur else (None, None)
            n = view["version"]
            brief = Brief.model_validate_json(view["draft"]) if view["draft"] else None
            return [
                cur,
                view["draft"],
                view["draft"],
                view["versions"],
                gr.update(choices=view["version_choices"], value=n),
                f"[Link to version {n}]({view['link']})" if n else "",
                view["link"],
                view["overview"],
                view["people"],
                view["stakeholders"],
                view["evidence"],
                view["json"],
                view["markdown"],
                *files_,
                gr.update(value=f"Accept version {n}" if n else "Accept", interactive=bool(n)),
                gr.update(value=f"Send back version {n}" if n else "Send back", interactive=bool(n)),
                gr.update(choices=view["sentences"], value=[]),
                gr.update(choices=item_choices(brief, chosen_section) if brief else [], value=None),
                draft_md(view["draft"], view["draft"], chosen_section),
            ]

        def deal_updates(query: str = "") -> tuple[Any, Any]:
            return deals_html(store, query), gr.update(choices=deal_choices(store))

        def on_load(request: gr.Request) -> list[Any]:
            user = who(request)
            params = dict(request.query_params) if request is not None else {}
            rows, choices = deal_updates()
            head = [f"Signed in as **{html.escape(user or 'nobody')}** · [Sign out](/logout)", rows, choices]
            deal_id = params.get("deal", "")
            if not deal_id:
                return [*head, gr.update(), *[gr.update() for _ in opened]]
            try:
                number = int(params["version"]) if params.get("version") else None
                view = guarded(open_version)(store, deal_id, number)
            except ValueError:
                raise gr.Error(f"version '{params.get('version')}' in the link is not a number") from None
            return [*head[:2], gr.update(choices=deal_choices(store), value=deal_id), "", *unpack(view)]

        demo.load(on_load, None, [whoami, deals, deal, status, *opened]).then(
            None, link_value, None, js=_PUSH_URL
        )
        search.change(lambda q: deals_html(store, q), search, deals, concurrency_limit=None)

        def on_open_deal(deal_id: str) -> list[Any]:
            return ["", *unpack(guarded(open_version)(store, deal_id))]

        deal.input(on_open_deal, deal, [status, *opened], api_name="open_deal").then(
            None, link_value, None, js=_PUSH_URL
        )

        def on_open_version(deal_id: str, n: int | None) -> list[Any]:
            return ["", *unpack(guarded(open_version)(store, deal_id, int(n) if n is not None else None))]

        version.input(on_open_version, [deal, version], [status, *opened], api_name="open_version").then(
            None, link_value, None, js=_PUSH_URL
        )

        def on_generate(
            deal_id: str,
            engine_name: str,
            request: gr.Request,
            progress: Any = gr.Progress(),  # noqa: B008
        ) -> list[Any]:
            progress(0.1, desc="Reading the deal's sources")
            progress(0.2, desc="A worker is writing the brief")
            view = guarded(generate)(store, deal_id, engine_name, who(request), queue)
            progress(1.0, desc="Done")
            rows = deals_html(store)
            return [rows, f"Version {view['version']} written.", *unpack(view)]

        go.click(on_generate, [deal, engine], [deals, status, *opened], concurrency_limit=4).then(
            None, link_value, None, js=_PUSH_URL
        )

        def on_review(accept_it: bool) -> Callable[..., list[Any]]:
            def run(cur: dict[str, Any] | None, why: str, request: gr.Request) -> list[Any]:
                message, view = guarded(set_status)(store, cur, accept_it, why, who(request))
                return [deals_html(store), message, *unpack(view)]

            return run

        accept.click(on_review(True), [current, reason], [deals, status, *opened], api_name="accept")
        send_back.click(on_review(False), [current, reason], [deals, status, *opened], api_name="send_back")

        # --- item editing ---------------------------------------------------------------

        def on_section(sec: str, d: str | None, s: str | None) -> list[Any]:
            keys = set(EDITABLE[sec][2])
            brief = Brief.model_validate_json(d) if d else None
            return [
                gr.update(choices=item_choices(brief, sec) if brief else [], value=None),
                draft_md(d, s, sec),
                *[
                    gr.update(
                        visible=k in keys,
                        value=None if k != "stated" else False,
                        **({"label": MAIN_LABEL.get(sec, "Text")} if k == "text" else {}),
                        **(
                            {"label": "Date (YYYY-MM-DD)" if sec == "timeline" else "Due date (YYYY-MM-DD)"}
                            if k == "due"
                            else {}
                        ),
                    )
                    for k in FORM_KEYS
                ],
                gr.update(value=[]),
            ]

        section.change(on_section, [section, draft, saved], [item, draft_view, *field_list, pick])

        def on_item(sec: str, index: int | None, d: str | None) -> list[Any]:
            if index is None or not d:
                return [gr.update() for _ in FORM_KEYS] + [gr.update()]
            values, picked = guarded(item_values)(Brief.model_validate_json(d), sec, int(index))
            return [
                *[gr.update(value=values.get(k)) if k in values else gr.update() for k in FORM_KEYS],
                picked,
            ]

        item.input(on_item, [section, item, draft], [*field_list, pick])

        def on_change_item(adding: bool) -> Callable[..., list[Any]]:
            def run(
                d: str | None, s: str | None, sec: str, index: int | None, picked: list[str], *values: Any
            ) -> list[Any]:
                data = dict(zip(FORM_KEYS, values, strict=True))
                new = guarded(edit_item)(store, d, sec, None if adding else index, data, picked)
                if not adding and index is None:
                    raise gr.Error("choose the item to update, or press Add as new item")
                brief = Brief.model_validate_json(new)
                chosen = len(getattr(brief, sec)) - 1 if adding else index
                return [new, gr.update(choices=item_choices(brief, sec), value=chosen), draft_md(new, s, sec)]

            return run

        edit_inputs = [draft, saved, section, item, pick, *field_list]
        update_btn.click(
            on_change_item(False), edit_inputs, [draft, item, draft_view], api_name="update_item"
        )
        add_btn.click(on_change_item(True), edit_inputs, [draft, item, draft_view], api_name="add_item")

        def on_remove(d: str | None, s: str | None, sec: str, index: int | None) -> list[Any]:
            new = guarded(drop_item)(d, sec, index)
            brief = Brief.model_validate_json(new)
            return [new, gr.update(choices=item_choices(brief, sec), value=None), draft_md(new, s, sec)]

        remove_btn.click(
            on_remove, [draft, saved, section, item], [draft, item, draft_view], api_name="remove_item"
        )
        clear_btn.click(
            lambda: [
                gr.update(value=None),
                *[gr.update(value=False if k == "stated" else None) for k in FORM_KEYS],
                [],
            ],
            None,
            [item, *field_list, pick],
        )

        def on_save(cur: dict[str, Any] | None, d: str | None, request: gr.Request) -> list[Any]:
            view = guarded(save_draft)(store, cur, d, who(request), queue)
            return [
                deals_html(store),
                f"Saved as version {view['version']} (grounded and summarised again).",
                *unpack(view),
            ]

        save.click(on_save, [current, draft], [deals, status, *opened], api_name="save_version").then(
            None, link_value, None, js=_PUSH_URL
        )

        # --- uploads ----------------------------------------------------------------------

        def on_ingest(
            deal_id: str,
            paths: list[str] | None,
            account_: str,
            amount_: str,
            currency_: str,
            close_date_: str,
            owner_: str,
            stage_: str,
            job_ids: list[int],
            request: gr.Request,
        ) -> list[Any]:
            fields_ = {
                "deal_id": deal_id,
                "account": account_,
                "amount": amount_,
                "currency": currency_,
                "close_date": close_date_,
                "owner": owner_,
                "stage": stage_,
            }
            uploads = [guarded(uploaded_file)(p) for p in paths or []]
            job = guarded(queue_upload)(store, queue, fields_, uploads, who(request))
            rows, choices = deal_updates()
            if job is None:
                message = f"Deal **{html.escape(deal_id.strip())}** saved; no files uploaded."
                return [message, job_ids, gr.update(), rows, choices, None, gr.update()]
            ids = [*job_ids, job.id]
            lines, _ = job_lines(queue, ids)
            return [f"Queued as job {job.id}.", ids, gr.Timer(active=True), rows, choices, None, lines]

        ingest_btn.click(
            on_ingest,
            [new_id, files, account, amount, currency, close_date, owner, stage, jobs],
            [ingest_report, jobs, timer, deals, deal, files, upload_status],
            concurrency_limit=None,
            api_name="on_ingest",
        )

        def on_tick(job_ids: list[int], query: str) -> list[Any]:
            lines, running = job_lines(queue, job_ids)
            rows = deals_html(store, query)
            return [lines, gr.Timer(active=running), rows]

        timer.tick(on_tick, [jobs, search], [upload_status, timer, deals], concurrency_limit=None)
    return demo


def style() -> dict[str, Any]:
    """Theme and CSS for launch() or mounting. System fonts: the default theme would fetch
    Google Fonts, and the form must work offline."""
    theme = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    return {"theme": theme, "css": _CSS}

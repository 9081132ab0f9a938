"""Briefs for many deals in one run, with bounded concurrency, resume and an index file.

One failing deal never stops the others; the summary says what was done, skipped and failed.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dt_time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .engines import get_engine
from .engines.base import Engine
from .errors import BriefgenError, ConfigError, NotFound
from .generate import write_brief
from .ingest import check_deal_id
from .render import render
from .schema import Deal
from .store import Store


@dataclass
class Outcome:
    deal_id: str
    status: str  # done | fallback | skipped | failed
    version: int | None = None
    engine: str | None = None
    sources_hash: str | None = None
    seconds: float = 0.0
    error: str | None = None
    files: list[str] = field(default_factory=list)
    line: int | None = None  # the CSV line a deal came from


STATUSES = ("done", "fallback", "skipped", "failed")


@dataclass
class BatchReport:
    outcomes: list[Outcome]
    seconds: float

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def fallbacks(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "fallback"]


@dataclass
class CsvDeals:
    """Deal ids a CRM export names, and its rows that cannot be briefed (each its own failure)."""

    ids: list[str] = field(default_factory=list)
    failures: list[Outcome] = field(default_factory=list)


def _read_csv_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    # CRM exports come as UTF-8 (often with a BOM) or, from Excel on Windows, as Windows-1252.
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ConfigError(f"{path}: not UTF-8 or Windows-1252 text; save the export as UTF-8 CSV")


def _rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and each non-blank record with the line it starts on."""
    reader = csv.reader(io.StringIO(_read_csv_text(path), newline=""))
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [h.strip() for h in row]
            else:
                rows.append((line, row))
    except csv.Error as exc:
        raise ConfigError(f"{path}: line {reader.line_num}: {exc}") from exc
    if header is None or "deal_id" not in header:
        raise ConfigError(f"{path}: the CSV needs a 'deal_id' column")
    return header, rows


def _amount(raw: str) -> float:
    return float(raw.replace(",", "").replace("$", "").replace("€", "").replace("£", "").strip())


def deals_from_csv(store: Store, path: Path) -> CsvDeals:
    """A CRM export of closed-won deals: `deal_id` is required; other columns become CRM fields
    of deals already in the store. A row that names no deal, an unknown deal or a bad value is
    that row's failure, with its line number; the other rows go on."""
    header, rows = _rows(path)
    result = CsvDeals()
    for line, row in rows:
        fields: dict[str, Any] = {
            k: v.strip() for k, v in zip(header, row, strict=False) if k and v.strip() not in ("", None)
        }
        deal_id = fields.get("deal_id", "")

        def fail(reason: str, deal_id: str = deal_id, line: int = line) -> None:
            result.failures.append(
                Outcome(deal_id, "failed", error=f"{path.name} line {line}: {reason}", line=line)
            )

        if not deal_id:
            fail("no deal_id")
            continue
        try:
            check_deal_id(deal_id)
        except ConfigError as exc:
            fail(str(exc))
            continue
        if "amount" in fields:
            try:
                fields["amount"] = _amount(fields["amount"])
            except ValueError:
                fail(f"amount '{fields['amount']}' is not a number")
                continue
        try:
            store.records.get_deal(deal_id)
        except NotFound:
            # A deal nobody ingested has nothing to brief; creating it would write an empty
            # brief that reads as low risk.
            fail(f"no deal '{deal_id}' in the store (ingest its documents first)")
            continue
        try:
            deal = Deal.model_validate(fields)
        except ValidationError as exc:
            first = exc.errors()[0]
            fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
            continue
        store.records.upsert_deal(deal)
        result.ids.append(deal_id)
    return result


def deals_since(store: Store, since: date) -> list[str]:
    """Deals whose sources or CRM fields changed on or after local midnight of `since`."""
    cutoff = datetime.combine(since, dt_time.min).astimezone()
    found = set()
    for deal_id, updated_at in store.records.changed_deals():
        try:
            stamp = datetime.fromisoformat(updated_at)
        except (TypeError, ValueError):
            continue
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        if stamp >= cutoff:
            found.add(deal_id)
    return sorted(found)


def _current(store: Store, deal_id: str, out: Path, engine: str) -> Outcome | None:
    """The deal's latest brief if it can stand: same sources, written by the engine asked for
    (a fallback brief never counts), and both files still in `out`."""
    latest = store.records.latest_brief(deal_id)
    if latest is None or latest.sources_hash != store.records.sources_hash(deal_id):
        return None
    if latest.engine != engine:
        return None
    files = [out / f"{deal_id}.json", out / f"{deal_id}.md"]
    if not all(f.exists() for f in files):
        return None
    return Outcome(
        deal_id, "skipped", latest.version, latest.engine, latest.sources_hash, files=[f.name for f in files]
    )


def _one(store: Store, deal_id: str, engine: Engine, out: Path) -> Outcome:
    started = time.perf_counter()
    try:
        check_deal_id(deal_id)
        brief, record = write_brief(store, deal_id, engine)
        assert record is not None
        files = []
        for fmt, ext in (("json", "json"), ("md", "md")):
            path = out / f"{deal_id}.{ext}"
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(render(brief, fmt), encoding="utf-8")
            tmp.replace(path)
            files.append(path.name)
        fallback = brief.provenance.fallback_reason
        return Outcome(
            deal_id,
            "fallback" if fallback else "done",
            record.version,
            brief.engine,
            record.sources_hash,
            time.perf_counter() - started,
            error=fallback,
            files=files,
        )
    except (BriefgenError, OSError) as exc:
        return Outcome(deal_id, "failed", seconds=time.perf_counter() - started, error=str(exc))


def run_batch(
    store: Store,
    deal_ids: list[str],
    out: Path,
    engine: Engine | str = "auto",
    concurrency: int = 4,
    resume: bool = False,
    on_done: Callable[[Outcome], None] | None = None,
    failures: list[Outcome] | None = None,
) -> BatchReport:
    """Brief every deal in `deal_ids`; `failures` are inputs that already failed (bad CSV rows)
    and are reported with the rest."""
    if concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    # Resolved once: every deal uses the same engine, and resume compares against its name.
    writer = get_engine(engine, store.settings) if isinstance(engine, str) else engine
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    outcomes: list[Outcome] = list(failures or [])
    todo = []
    for deal_id in dict.fromkeys(deal_ids):  # de-duplicated, order kept
        skipped = _current(store, deal_id, out, writer.name) if resume else None
        if skipped is not None:
            outcomes.append(skipped)
            if on_done:
                on_done(skipped)
        else:
            todo.append(deal_id)
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="briefgen-batch")
    try:
        futures = [pool.submit(_one, store, d, writer, out) for d in todo]
        for fut in as_completed(futures):
            outcome = fut.result()
            outcomes.append(outcome)
            if on_done:
                on_done(outcome)
    except BaseException:
        # Interrupted: start nothing new and do not wait for a brief stuck on a model.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    order = {d: i for i, d in enumerate(dict.fromkeys(deal_ids))}
    outcomes.sort(key=lambda o: (o.line is None, order.get(o.deal_id, 0), o.line or 0))
    report = BatchReport(outcomes, time.perf_counter() - started)
    index = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "engine": writer.name,
        **{status: report.count(status) for status in STATUSES},
        "deals": [asdict(o) for o in outcomes],
    }
    tmp = out / ".index.json.tmp"
    tmp.write_text(json.dumps(index, indent=2), encoding="utf-8")
    tmp.replace(out / "index.json")
    return report

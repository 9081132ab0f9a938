"""Briefs for many deals in one run, with bounded concurrency, resume and an index file.

One failing deal never stops the others; the summary says what was done, skipped and failed.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .engines.base import Engine
from .errors import BriefgenError, ConfigError
from .generate import write_brief
from .ingest import check_deal_id
from .render import render
from .schema import Deal
from .store import Store


@dataclass
class Outcome:
    deal_id: str
    status: str  # done | skipped | failed
    version: int | None = None
    engine: str | None = None
    sources_hash: str | None = None
    seconds: float = 0.0
    error: str | None = None
    files: list[str] = field(default_factory=list)


@dataclass
class BatchReport:
    outcomes: list[Outcome]
    seconds: float

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def deals_from_csv(store: Store, path: Path) -> list[str]:
    """A CRM export of closed-won deals: `deal_id` is required; other columns become CRM fields."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or "deal_id" not in reader.fieldnames:
                raise ConfigError(f"{path}: the CSV needs a 'deal_id' column")
            rows = list(reader)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    ids = []
    for line, row in enumerate(rows, start=2):
        deal_id = (row.get("deal_id") or "").strip()
        if not deal_id:
            raise ConfigError(f"{path}: line {line} has no deal_id")
        fields: dict[str, Any] = {k: v for k, v in row.items() if k and v not in (None, "")}
        if "amount" in fields:
            try:
                fields["amount"] = float(str(fields["amount"]).replace(",", ""))
            except ValueError:
                raise ConfigError(
                    f"{path}: line {line}: amount '{fields['amount']}' is not a number"
                ) from None
        ids.append(deal_id)
        try:
            check_deal_id(deal_id)
        except ConfigError:
            continue  # reported as that deal's failure, not the whole run's
        store.records.upsert_deal(Deal.model_validate(fields))
    return ids


def deals_since(store: Store, since: str) -> list[str]:
    with store.records.transaction() as db:
        rows = db.execute(
            """SELECT DISTINCT deal_id FROM sources WHERE updated_at >= ?
               UNION SELECT deal_id FROM deals WHERE updated_at >= ? ORDER BY 1""",
            (since, since),
        ).fetchall()
    return [r["deal_id"] for r in rows]


def _current(store: Store, deal_id: str, out: Path) -> Outcome | None:
    latest = store.records.latest_brief(deal_id)
    if latest is None or latest.sources_hash != store.records.sources_hash(deal_id):
        return None
    files = [out / f"{deal_id}.json", out / f"{deal_id}.md"]
    if not all(f.exists() for f in files):
        return None
    return Outcome(
        deal_id, "skipped", latest.version, latest.engine, latest.sources_hash, files=[f.name for f in files]
    )


def _one(store: Store, deal_id: str, engine: Engine | str, out: Path) -> Outcome:
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
        return Outcome(
            deal_id,
            "done",
            record.version,
            brief.engine,
            record.sources_hash,
            time.perf_counter() - started,
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
) -> BatchReport:
    if concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    todo = []
    for deal_id in dict.fromkeys(deal_ids):  # de-duplicated, order kept
        skipped = _current(store, deal_id, out) if resume else None
        if skipped is not None:
            outcomes.append(skipped)
            if on_done:
                on_done(skipped)
        else:
            todo.append(deal_id)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="briefgen-batch") as pool:
        futures = [pool.submit(_one, store, d, engine, out) for d in todo]
        for fut in as_completed(futures):
            outcome = fut.result()
            outcomes.append(outcome)
            if on_done:
                on_done(outcome)
    order = {d: i for i, d in enumerate(dict.fromkeys(deal_ids))}
    outcomes.sort(key=lambda o: order.get(o.deal_id, 0))
    report = BatchReport(outcomes, time.perf_counter() - started)
    index = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "engine": engine if isinstance(engine, str) else engine.name,
        "done": report.count("done"),
        "skipped": report.count("skipped"),
        "failed": report.count("failed"),
        "deals": [asdict(o) for o in outcomes],
    }
    tmp = out / ".index.json.tmp"
    tmp.write_text(json.dumps(index, indent=2), encoding="utf-8")
    tmp.replace(out / "index.json")
    return report

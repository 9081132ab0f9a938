"""Where a webhook's acknowledgement time goes on an API-only replica over PostgreSQL.

    python bench/ack_profile.py [--events 200] [--src PATH] [--cprofile 25]

Two measurements, one webhook at a time (no queueing, so the figures are the cost of one
request, not of a burst):

1. in process: what the webhook's worker thread does (verify the signature, parse, store the
   document, record the event and its job) on a fresh data home and a fresh database:
   wall time and CPU time per webhook, and the SQL round trips PostgreSQL saw (its statement
   log, so BEGIN, COMMIT and connection checks count too); `--cprofile N` prints the N
   functions with the most cumulative time;
2. over HTTP: `briefgen serve --no-ui --workers 0` in its own process, the same webhooks sent
   one after another; wall time per request and the server process's CPU time per webhook.

`--src PATH` measures another checkout's code (its `src` folder), e.g. `git worktree add
/tmp/ack-base main` and `--src /tmp/ack-base/src`, with this checkout's virtualenv.
PostgreSQL is started the way the tests start it (tests/servers.py), on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from common import machine, percentile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scale_out import SECRET, signed_event, wait_up  # noqa: E402
from tests.servers import Postgres, free_port  # noqa: E402

_STATEMENT = re.compile(r"LOG:\s+(statement|execute [^:]*):")


def log_statements(pg: Postgres, on: bool) -> None:
    import psycopg

    with psycopg.connect(pg.url(), autocommit=True) as conn:
        conn.execute(f"ALTER SYSTEM SET log_statement = '{'all' if on else 'none'}'")
        conn.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)  # the server rereads its configuration asynchronously


def statements_since(pg: Postgres, offset: int) -> tuple[int, dict[str, int]]:
    text = pg.log.read_text(errors="replace")[offset:]
    kinds: dict[str, int] = {}
    count = 0
    for line in text.splitlines():
        m = _STATEMENT.search(line)
        if not m:
            continue
        count += 1
        sql = line[m.end() :].strip().split(" ")[0].upper() or "?"
        kinds[sql] = kinds.get(sql, 0) + 1
    return count, kinds


def in_process(pg: Postgres, tmp: Path, events: int, top: int) -> None:
    from dataclasses import replace

    from briefgen.api import App
    from briefgen.config import Settings
    from briefgen.webhooks import parse_generic, verify_generic

    settings = replace(
        Settings.from_env(tmp / "inproc"), database_url=pg.new_database(), webhook_secret=SECRET, workers=0
    )
    app = App(settings)
    app.start()

    def one(tag: str, i: int) -> None:
        data, sig = signed_event(tag, i)
        verify_generic(settings.webhook_secret, data, sig)
        [result] = app.accept(parse_generic(data))
        assert result["action"] == "queued", result

    for i in range(10):  # warm: connections, statement caches
        one("warm", i)
    log_statements(pg, True)
    offset = pg.log.stat().st_size
    walls = []
    cpu0 = time.thread_time()
    for i in range(events):
        t = time.perf_counter()
        one("measured", i)
        walls.append((time.perf_counter() - t) * 1000)
    cpu = (time.thread_time() - cpu0) * 1000 / events
    log_statements(pg, False)
    count, kinds = statements_since(pg, offset)
    print(f"\n## in process: {events} webhooks, one at a time")
    print(f"wall ms per webhook: p50 {percentile(walls, 50):.2f}, p99 {percentile(walls, 99):.2f}")
    print(f"CPU ms per webhook (this thread): {cpu:.2f}")
    print(f"round trips PostgreSQL logged per webhook: {count / events:.1f}")
    print("  " + ", ".join(f"{k} {v / events:.1f}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])))
    if top:
        prof = cProfile.Profile()
        prof.enable()
        for i in range(events):
            one("profiled", i)
        prof.disable()
        print(f"\ncProfile, {events} more webhooks, top {top} by cumulative time:")
        pstats.Stats(prof, stream=sys.stdout).sort_stats("cumulative").print_stats(top)
    app.shutdown()
    app.store.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def over_http(pg: Postgres, tmp: Path, events: int, src: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")}
    env.update(
        PYTHONPATH=str(src),
        BRIEFGEN_HOME=str(tmp / "http"),
        BRIEFGEN_WEBHOOK_SECRET=SECRET,
        BRIEFGEN_API_KEYS="k",
        BRIEFGEN_DATABASE_URL=pg.new_database(),
    )
    port = free_port()
    log = (tmp / "http.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "briefgen.cli", "serve", "--no-ui", "--workers", "0", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_up(port)
        client = httpx.Client(timeout=30)

        def post(tag: str, i: int) -> float:
            data, sig = signed_event(tag, i)
            t = time.perf_counter()
            r = client.post(f"{url}/v1/webhooks/generic", content=data, headers={"X-Briefgen-Signature": sig})
            assert r.status_code == 200, r.text
            return (time.perf_counter() - t) * 1000

        for i in range(10):
            post("warm", i)
        cpu0 = cpu_seconds(proc.pid)
        walls = [post("http", i) for i in range(events)]
        cpu = (cpu_seconds(proc.pid) - cpu0) * 1000 / events
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"\n## over HTTP: {events} webhooks, one at a time, `serve --no-ui --workers 0`")
    print(f"wall ms per request: p50 {percentile(walls, 50):.2f}, p99 {percentile(walls, 99):.2f}")
    print(f"server CPU ms per webhook: {cpu:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="the briefgen source folder to measure")
    ap.add_argument("--cprofile", type=int, default=0, metavar="N", help="print the top N functions")
    ap.add_argument("--only", choices=["process", "http"])
    args = ap.parse_args()
    src = args.src.resolve()
    sys.path.insert(0, str(src))
    import briefgen

    print(f"machine: {machine()}; code: {Path(briefgen.__file__).parent}")
    print(f"load before: {Path('/proc/loadavg').read_text().strip()}")
    with tempfile.TemporaryDirectory() as t:
        pg = Postgres().start()
        try:
            if args.only in (None, "process"):
                in_process(pg, Path(t), args.events, args.cprofile)
            if args.only in (None, "http"):
                over_http(pg, Path(t), args.events, src)
        finally:
            pg.stop()
    print(f"load after: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()

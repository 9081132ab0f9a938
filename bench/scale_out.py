"""Past one machine: webhook acknowledgement of an API-only replica over PostgreSQL, beside the
single-process default (SQLite, worker in the API process), and briefs per minute with 1, 2 and
4 worker processes against a slow OpenAI-compatible endpoint.

    python bench/scale_out.py [--events 200] [--threads 16] [--jobs 16] [--delay 1.5]

Old code against new, side by side in one run (acknowledgement only):

    git worktree add /tmp/ack-base main
    python bench/scale_out.py --only ack --baseline-src /tmp/ack-base/src --rounds 3 [--processes 2]

Each round runs the baseline's API-only replica, then this checkout's (and, with --processes N,
this checkout's `serve --processes N`), each on a fresh database, with the same burst; the
figures are over all rounds, with the server's CPU time per webhook (its processes' user and
system time over the burst) and the ratios new / baseline.

PostgreSQL and the Chroma server are started the way the tests start them (tests/servers.py):
Debian's postgresql package and chromadb's `chroma run`, on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import slow_openai_server
from common import machine, percentile, write_corpus

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import ChromaServer, Postgres, free_port  # noqa: E402

SECRET = "bench-secret"
NOTE = (ROOT / "ingest" / "brightside-bakery" / "call-notes-2026-09-29.txt").read_text()


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def spawn(
    home: Path, args: list[str], env: dict[str, str], src: Path | None = None
) -> subprocess.Popen[bytes]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")}
    full.update(env, BRIEFGEN_HOME=str(home), BRIEFGEN_WEBHOOK_SECRET=SECRET, BRIEFGEN_API_KEYS="k")
    if src is not None:  # that checkout's briefgen, ahead of the one installed in the virtualenv
        full["PYTHONPATH"] = str(src)
    return subprocess.Popen(
        [sys.executable, "-m", "briefgen.cli", *args],
        env=full,
        stdout=subprocess.DEVNULL,
        stderr=(home.parent / f"{home.name}.log").open("ab"),
    )


def wait_up(port: int) -> None:
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def stop(*procs: subprocess.Popen[bytes]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def cpu_seconds(pid: int) -> float:
    """User and system time of a process and its children while they run (uvicorn's worker
    processes under `serve --processes`)."""
    total = 0.0
    pending = [pid]
    while pending:
        p = pending.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            for task in Path(f"/proc/{p}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def signed_event(tag: str, i: int) -> tuple[bytes, str]:
    """A deal-close event with one document, and its signature header."""
    data = json.dumps(
        {
            "event_id": f"{tag}-{i}",
            "deal_id": f"{tag}-{i}",
            "stage": "won",
            "account": f"Account {i}",
            "documents": [{"name": "notes.txt", "content": NOTE}],
        }
    ).encode()
    return data, "sha256=" + hmac.new(SECRET.encode(), data, hashlib.sha256).hexdigest()


def burst(port: int, events: int, threads: int, tag: str) -> list[float]:
    client = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=64))

    def post(i: int) -> float:
        body, sig = signed_event(tag, i)
        t = time.perf_counter()
        r = client.post(
            f"http://127.0.0.1:{port}/v1/webhooks/generic",
            content=body,
            headers={"X-Briefgen-Signature": sig},
        )
        assert r.status_code == 200, r.text
        return (time.perf_counter() - t) * 1000

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(post, range(events)))


def ack_row(name: str, lat: list[float]) -> str:
    return f"{name:<52} {percentile(lat, 50):>7.1f} {percentile(lat, 99):>7.1f} {max(lat):>7.1f}"


def acknowledgement(tmp: Path, pg: Postgres, chroma: ChromaServer, events: int, threads: int) -> None:
    print(f"\n## webhook acknowledgement: {events} signed webhooks, one document each, {threads} senders")
    print(f"before: {load()}")
    print(f"{'setup':<52} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
    shared = {"BRIEFGEN_ENGINE": "extractive"}
    # The default: SQLite, one worker thread inside the API process.
    port = free_port()
    single = spawn(tmp / "single", ["serve", "--no-ui", "--port", str(port)], shared)
    wait_up(port)
    print(ack_row("single process (SQLite, worker in the API)", burst(port, events, threads, "single")))
    stop(single)
    remote = {**shared, "BRIEFGEN_DATABASE_URL": pg.new_database(), "BRIEFGEN_CHROMA_URL": chroma.url}
    port = free_port()
    api = spawn(tmp / "api", ["serve", "--no-ui", "--workers", "0", "--port", str(port)], remote)
    wait_up(port)
    print(ack_row("API-only replica (PostgreSQL), no worker running", burst(port, events, threads, "alone")))
    workers = [spawn(tmp / f"w{n}", ["worker"], remote) for n in range(2)]
    time.sleep(8)  # the workers load the embedding model and start on the first burst's jobs
    print(
        ack_row(
            "API-only replica, 2 worker processes on the same cores", burst(port, events, threads, "busy")
        )
    )
    stop(api, *workers)
    print(f"after: {load()}")


def side_by_side(
    tmp: Path, pg: Postgres, baseline: Path, events: int, threads: int, rounds: int, processes: int
) -> None:
    """The baseline's API-only replica and this checkout's, alternating, the same burst each."""
    setups: list[tuple[str, Path | None, list[str]]] = [
        ("baseline: serve --no-ui --workers 0", baseline, []),
        ("new: serve --no-ui --workers 0", None, []),
    ]
    if processes > 1:
        setups.append((f"new: serve ... --processes {processes}", None, ["--processes", str(processes)]))
    print(
        f"\n## webhook acknowledgement, side by side: {events} signed webhooks a burst, one document "
        f"each, {threads} senders, {rounds} rounds; API-only replica over PostgreSQL"
    )
    print(f"baseline code: {baseline}")
    print(f"before: {load()}")
    print(f"{'round':<6}{'setup':<44} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'CPU ms/webhook':>15}")
    lat: dict[str, list[float]] = {name: [] for name, _, _ in setups}
    cpu: dict[str, float] = dict.fromkeys(lat, 0.0)
    for r in range(rounds):
        for n, (name, src, extra) in enumerate(setups):
            env = {"BRIEFGEN_DATABASE_URL": pg.new_database()}
            port = free_port()
            home = tmp / f"round{r}-setup{n}"
            proc = spawn(home, ["serve", "--no-ui", "--workers", "0", "--port", str(port), *extra], env, src)
            wait_up(port)
            # Every sender once first: the pool's connections open and every process starts.
            burst(port, 2 * threads, threads, f"warm{r}")
            before = cpu_seconds(proc.pid)
            got = burst(port, events, threads, f"r{r}")
            used = (cpu_seconds(proc.pid) - before) * 1000 / events
            stop(proc)
            lat[name].extend(got)
            cpu[name] += used / rounds
            print(
                f"{r + 1:<6}{name:<44} {percentile(got, 50):>7.1f} {percentile(got, 99):>7.1f} "
                f"{max(got):>7.1f} {used:>15.2f}"
            )
    print(f"\nall rounds ({rounds} x {events} webhooks each):")
    print(f"{'setup':<50} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/webhook':>15}")
    for name in lat:
        print(
            f"{name:<50} {percentile(lat[name], 50):>7.1f} {percentile(lat[name], 99):>7.1f} {cpu[name]:>15.2f}"
        )
    base = setups[0][0]
    for name in list(lat)[1:]:
        print(
            f"{name} / baseline: p50 x{percentile(lat[name], 50) / percentile(lat[base], 50):.2f}, "
            f"p99 x{percentile(lat[name], 99) / percentile(lat[base], 99):.2f}, CPU x{cpu[name] / cpu[base]:.2f}"
        )
    print(f"after: {load()}")


def throughput(tmp: Path, pg: Postgres, chroma: ChromaServer, jobs: int, delay: float) -> None:
    from dataclasses import replace

    from briefgen.config import Settings
    from briefgen.ingestion import ingest_paths
    from briefgen.jobs import JobQueue
    from briefgen.store import Store

    server, url = slow_openai_server.start(delay)
    db = pg.new_database()
    settings = replace(Settings.from_env(tmp / "seed"), database_url=db, chroma_url=chroma.url)
    store = Store(settings)
    deals = ingest_paths(store, [write_corpus(tmp / "corpus", jobs, 2, sentences=8)]).deals
    queue = JobQueue(store.records)
    env = {
        "BRIEFGEN_DATABASE_URL": db,
        "BRIEFGEN_CHROMA_URL": chroma.url,
        "BRIEFGEN_ENGINE": "openai",
        "BRIEFGEN_LLM_BASE_URL": url,
        "BRIEFGEN_LLM_MODEL": "slow",
        "BRIEFGEN_LLM_METHOD": "json_object",
        "BRIEFGEN_LLM_MAX_TOKENS": "200",
    }
    print(f"\n## briefs per minute: {jobs} queued brief jobs, endpoint answers after {delay}s")
    print(f"before: {load()}")
    print(f"{'worker processes':>16} {'seconds':>8} {'briefs/min':>10} {'speed-up':>8} {'x/N':>6}  engines")
    base = None
    total = 0
    for n in (1, 2, 4):
        procs = [spawn(tmp / f"tw{n}-{i}", ["worker"], env) for i in range(n)]
        for i in range(n):  # every worker is up (its heartbeat file exists) before the jobs arrive
            beat = tmp / f"tw{n}-{i}" / "worker.alive"
            while not beat.exists():
                time.sleep(0.1)
        started = time.perf_counter()
        for deal in deals:
            queue.enqueue("brief", deal, {"trigger": "bench"})
        while True:
            counts = queue.counts()
            if not counts.get("pending") and not counts.get("running"):
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        stop(*procs)
        engines = sorted(
            {
                r.engine.split(" ")[0] + (" (fallback)" if "fallback" in r.engine else "")
                for r in _briefs(store, deals)
            }
        )
        per_min = jobs / seconds * 60
        base = base or per_min
        print(
            f"{n:>16} {seconds:>8.2f} {per_min:>10.1f} {per_min / base:>8.2f} {per_min / base / n:>6.2f}  {engines}"
        )
        total += jobs
        assert counts == {"done": total}, counts
    server.shutdown()
    store.close()
    print(f"after: {load()}")


def _briefs(store: object, deals: list[str]) -> list[object]:
    out = []
    for d in deals:
        latest = store.records.latest_brief(d)  # type: ignore[attr-defined]
        if latest:
            out.append(latest)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--jobs", type=int, default=16)
    ap.add_argument("--delay", type=float, default=1.5)
    ap.add_argument("--only", choices=["ack", "throughput"])
    ap.add_argument("--rounds", type=int, default=1, help="side by side: bursts per setup")
    ap.add_argument(
        "--baseline-src",
        type=Path,
        help="another checkout's src folder: its API-only replica beside this one's",
    )
    ap.add_argument("--processes", type=int, default=1, help="side by side: also `serve --processes N`")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        pg = Postgres().start()
        if args.baseline_src:
            try:
                side_by_side(
                    tmp,
                    pg,
                    args.baseline_src.resolve(),
                    args.events,
                    args.threads,
                    args.rounds,
                    args.processes,
                )
            finally:
                pg.stop()
            return
        chroma = ChromaServer().start()
        try:
            if args.only in (None, "ack"):
                acknowledgement(tmp, pg, chroma, args.events, args.threads)
            if args.only in (None, "throughput"):
                throughput(tmp, pg, chroma, args.jobs, args.delay)
        finally:
            chroma.stop()
            pg.stop()


if __name__ == "__main__":
    main()

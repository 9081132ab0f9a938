"""Deal-close API: acknowledgement latency (p50/p99) under a burst of signed webhook deliveries,
and a count of briefs after a kill -9 and restart in the middle of the work.

    python bench/webhook_ack.py [--events 200] [--threads 16]

`--compare` measures, side by side in one run, webhook acknowledgement and /healthz latency
while uploads and `?wait=true` briefs keep the workers busy, with the workers as child
processes (the default) and as threads of the server (`--worker-mode thread`):

    python bench/webhook_ack.py --compare [--seconds 60] [--load 2]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from common import machine, percentile

SECRET = "bench-secret"
NOTE = (
    Path(__file__).resolve().parent.parent / "ingest" / "brightside-bakery" / "call-notes-2026-09-29.txt"
).read_text()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(home: Path, port: int, mode: str = "process") -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")}
    env.update(
        BRIEFGEN_HOME=str(home),
        BRIEFGEN_WEBHOOK_SECRET=SECRET,
        BRIEFGEN_API_KEYS="k",
        BRIEFGEN_ENGINE="extractive",
        BRIEFGEN_WORKER_MODE=mode,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "briefgen.cli", "serve", "--no-ui", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


# One pooled client, as a CRM's delivery service would have: a new client per request costs
# more on the sender's side (TLS context, connection) than the server spends on the request.
CLIENT = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=64))


def post(port: int, i: int, documents: bool = True) -> tuple[float, int]:
    body = json.dumps(
        {
            "event_id": f"ev-{i}",
            "deal_id": f"deal-{i}",
            "stage": "won",
            "account": f"Account {i}",
            "documents": [{"name": "notes.txt", "content": NOTE}] if documents else [],
        }
    ).encode()
    sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    t = time.perf_counter()
    r = CLIENT.post(
        f"http://127.0.0.1:{port}/v1/webhooks/generic", content=body, headers={"X-Briefgen-Signature": sig}
    )
    return (time.perf_counter() - t) * 1000, r.status_code


def briefs_done(port: int, n: int) -> int:
    done = 0
    for i in range(n):
        r = httpx.get(
            f"http://127.0.0.1:{port}/v1/deals/deal-{i}/briefs", headers={"Authorization": "Bearer k"}
        )
        if r.status_code == 200 and r.json()["briefs"]:
            done += 1
    return done


AUTH = {"Authorization": "Bearer k"}
# What keeps the workers busy: an upload of about 20 KB of call notes, then a brief of its deal.
LOAD_NOTE = "\n".join(
    f"Weekly sync {n}: the rollout covers depot {n} this quarter; Priya owns the cutover." for n in range(240)
)


def keep_busy(port: int, stop: threading.Event, lane: int, done: list[str]) -> None:
    """Uploads and `?wait=true` briefs, one after another, until stopped."""
    with httpx.Client(timeout=600) as client:
        n = 0
        while not stop.is_set():
            deal = f"load-{lane}-{n}"
            up = client.post(
                f"http://127.0.0.1:{port}/v1/deals/{deal}/documents",
                headers=AUTH,
                files=[("files", (f"syncs-{n}.txt", f"{deal}\n{LOAD_NOTE}".encode()))],
            )
            done.append(f"upload {up.status_code}")
            if stop.is_set():
                break
            brief = client.post(f"http://127.0.0.1:{port}/v1/deals/{deal}/briefs?wait=true", headers=AUTH)
            done.append(f"brief {brief.status_code}")
            n += 1


def measure(mode: str, seconds: float, load: int) -> dict[str, object]:
    """Acknowledgement and /healthz latency, one request at a time for `seconds`, while `load`
    clients keep the workers busy with uploads and briefs."""
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = serve(Path(tmp) / "home", port, mode)
        try:
            # Warm up: the models are loaded before anything is timed, in either mode.
            stop, done = threading.Event(), list[str]()
            up = CLIENT.post(
                f"http://127.0.0.1:{port}/v1/deals/warm/documents",
                headers=AUTH,
                files=[("files", ("warm.txt", NOTE.encode()))],
            )
            CLIENT.post(f"http://127.0.0.1:{port}/v1/deals/warm/briefs?wait=true", headers=AUTH)
            assert up.status_code == 200, up.text
            lanes = [
                threading.Thread(target=keep_busy, args=(port, stop, lane, done), daemon=True)
                for lane in range(load)
            ]
            for t in lanes:
                t.start()
            time.sleep(3)  # the first upload is under way
            acks, health = [], []
            until = time.monotonic() + seconds
            i = 0
            while time.monotonic() < until:
                i += 1
                ms, code = post(port, i, documents=False)
                assert code == 200, code
                acks.append(ms)
                t0 = time.perf_counter()
                CLIENT.get(f"http://127.0.0.1:{port}/healthz")
                health.append((time.perf_counter() - t0) * 1000)
                time.sleep(0.05)
            stop.set()
            for t in lanes:
                t.join(timeout=600)
            return {"mode": mode, "acks": acks, "health": health, "work": list(done)}
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def compare(seconds: float, load: int) -> None:
    print(
        f"machine: {machine()}; load average before: {Path('/proc/loadavg').read_text().split()[:3]}; "
        f"for {seconds:.0f} s, signed webhooks one at a time, each followed by GET /healthz, while {load} "
        "client(s) upload ~20 KB of notes and ask for a brief with ?wait=true, over and over"
    )
    rows = [measure(mode, seconds, load) for mode in ("process", "thread")]
    print(f"load average after: {Path('/proc/loadavg').read_text().split()[:3]}")
    print(
        f"{'workers':<10}{'ack p50':>9}{'ack p99':>9}{'ack max':>9}{'hz p50':>9}{'hz p99':>9}  work done meanwhile"
    )
    for r in rows:
        acks, health = r["acks"], r["health"]
        assert isinstance(acks, list) and isinstance(health, list)
        work = r["work"]
        assert isinstance(work, list)
        print(
            f"{r['mode']:<10}{percentile(acks, 50):>8.1f} {percentile(acks, 99):>8.1f} {max(acks):>8.1f} "
            f"{percentile(health, 50):>8.1f} {percentile(health, 99):>8.1f}  "
            f"{sum(w.startswith('upload') for w in work)} uploads, {sum(w.startswith('brief') for w in work)} briefs"
        )
    p, t = rows
    for label, key in (("ack", "acks"), ("healthz", "health")):
        pv, tv = p[key], t[key]
        assert isinstance(pv, list) and isinstance(tv, list)
        print(
            f"{label}: threads / processes = p50 {percentile(tv, 50) / percentile(pv, 50):.1f}x, "
            f"p99 {percentile(tv, 99) / percentile(pv, 99):.1f}x"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--compare", action="store_true", help="processes against threads, under load")
    ap.add_argument("--load", type=int, default=2, help="clients uploading and asking for briefs")
    ap.add_argument("--seconds", type=float, default=60, help="how long --compare measures each mode")
    args = ap.parse_args()
    if args.compare:
        compare(args.seconds, args.load)
        return
    print(
        f"machine: {machine()}; {args.events} signed webhooks with one document each, {args.threads} senders"
    )
    with tempfile.TemporaryDirectory() as tmp:
        home, port = Path(tmp) / "home", free_port()
        proc = serve(home, port)
        with ThreadPoolExecutor(args.threads) as pool:
            results = list(pool.map(lambda i: post(port, i), range(args.events)))
        lat = [ms for ms, _ in results]
        codes = {c for _, c in results}
        print(
            f"acknowledged: {sum(c == 200 for _, c in results)}/{args.events} (status codes {sorted(codes)})"
        )
        print(
            f"ack latency ms: p50 {percentile(lat, 50):.1f}  p99 {percentile(lat, 99):.1f}  max {max(lat):.1f}"
        )
        time.sleep(2)  # let the worker get going, then kill it in the middle of the queue
        jobs = httpx.get(f"http://127.0.0.1:{port}/healthz").json()["jobs"]
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        print(f"killed with SIGKILL while jobs were {jobs}")
        started = time.perf_counter()
        proc = serve(home, port)
        while True:
            jobs = httpx.get(f"http://127.0.0.1:{port}/healthz").json()["jobs"]
            if not jobs.get("pending") and not jobs.get("running"):
                break
            time.sleep(0.5)
        print(f"after restart: jobs {jobs} in {time.perf_counter() - started:.1f}s")
        print(
            f"deals with a brief: {briefs_done(port, args.events)}/{args.events} (lost: "
            f"{args.events - briefs_done(port, args.events)})"
        )
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()

"""Deal-close API: acknowledgement latency (p50/p99) under a burst of signed webhook deliveries,
and a count of briefs after a kill -9 and restart in the middle of the work.

    python bench/webhook_ack.py [--events 200] [--threads 16]
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


def serve(home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")}
    env.update(
        BRIEFGEN_HOME=str(home),
        BRIEFGEN_WEBHOOK_SECRET=SECRET,
        BRIEFGEN_API_KEYS="k",
        BRIEFGEN_ENGINE="extractive",
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


def post(port: int, i: int) -> tuple[float, int]:
    body = json.dumps(
        {
            "event_id": f"ev-{i}",
            "deal_id": f"deal-{i}",
            "stage": "won",
            "account": f"Account {i}",
            "documents": [{"name": "notes.txt", "content": NOTE}],
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--threads", type=int, default=16)
    args = ap.parse_args()
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

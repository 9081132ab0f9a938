"""5. Batch speed-up against an OpenAI-compatible endpoint that answers after a fixed delay:
N concurrent workers against serial (goal: at least 0.8 x N for N <= 8).

    python bench/batch_speedup.py [--deals 32] [--delay 0.5]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import slow_openai_server
from common import machine, peak_rss_mb, write_corpus

from briefgen.batch import run_batch
from briefgen.config import Settings
from briefgen.embeddings import HashEmbedder
from briefgen.engines.llm import LLMEngine
from briefgen.ingestion import ingest_paths
from briefgen.models.openai_compat import OpenAICompatModel
from briefgen.store import Store


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--deals", type=int, default=32)
    ap.add_argument("--delay", type=float, default=0.5)
    args = ap.parse_args()
    server, url = slow_openai_server.start(args.delay)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_corpus(Path(tmp) / "c", args.deals, 3)
        store = Store(Settings.from_env(Path(tmp) / "home"), HashEmbedder())
        deals = ingest_paths(store, [corpus]).deals
        engine = LLMEngine(OpenAICompatModel(url, "slow", method="json_object"), max_tokens=200)
        print(f"machine: {machine()}; {args.deals} deals, endpoint delay {args.delay}s")
        print(f"{'workers':>7} {'seconds':>8} {'speed-up':>8} {'x/N':>6}")
        serial = None
        for n in (1, 2, 4, 8):
            report = run_batch(store, deals, Path(tmp) / f"out{n}", engine, concurrency=n)
            assert report.count("done") == args.deals, [o.error for o in report.failed][:3]
            serial = serial or report.seconds
            speedup = serial / report.seconds
            print(f"{n:>7} {report.seconds:>8.2f} {speedup:>8.2f} {speedup / n:>6.2f}")
    server.shutdown()
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

"""3. Extractive brief latency for deals of 5, 50 and 500 documents (goal: under 1 s of CPU at 50).

python bench/extractive_latency.py [--sizes 5,50] [--repeat 3]

Ingest embeds every sentence once for the section classifier and stores the vectors; a brief
reads them back. Each timed brief starts with an empty in-process cache, so it measures what a
fresh worker pays, beside the ingest that paid for the embeddings.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import Timer, machine, peak_rss_mb, write_corpus

from briefgen import sections
from briefgen.config import Settings
from briefgen.embeddings import HashEmbedder
from briefgen.generate import write_brief
from briefgen.ingestion import ingest_paths
from briefgen.store import Store


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="5,50")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"machine: {machine()}")
    print(
        f"{'documents':>9} {'sentences':>9} {'ingest s':>9} {'best s':>8} {'mean s':>8} {'best cpu s':>10}  items"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            corpus = write_corpus(Path(tmp) / "c", 1, size, seed=size)
            # The brief does not embed anything when the deal fits the evidence budget; a hash
            # embedder keeps ingest (not what is measured here) fast.
            store = Store(Settings.from_env(Path(tmp) / "home"), HashEmbedder())
            with Timer() as ingest:
                ingest_paths(store, [corpus])
            times, cpu = [], []
            for _ in range(args.repeat):
                sections._CACHE = sections._VectorCache()  # a fresh worker: vectors come from the store
                with Timer() as t:
                    brief, _ = write_brief(store, "deal-0000", "extractive", save=False)
                times.append(t.seconds)
                cpu.append(t.cpu_seconds)
            items = sum(1 for _ in brief.items())
            print(
                f"{size:>9} {size * 14:>9} {ingest.seconds:>9.2f} {min(times):>8.3f} {sum(times) / len(times):>8.3f} {min(cpu):>10.3f}  {items}"
                f"  ({brief.provenance.evidence_mode})"
            )
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

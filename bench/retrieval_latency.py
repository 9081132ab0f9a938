"""2. Retrieval latency for one deal at 1k, 10k and 100k chunks in the store.

Vectors are random unit vectors (the index's cost depends on its size, not on what the
vectors mean), written straight into chromadb; the query is embedded once with the real model
and its cost reported apart.

    python bench/retrieval_latency.py [--sizes 1000,10000,100000] [--deals 100]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from common import Timer, machine, peak_rss_mb, percentile

from briefgen.config import Settings
from briefgen.embeddings import MiniLMEmbedder
from briefgen.vectors import VectorStore


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--deals", type=int, default=100)
    ap.add_argument("--queries", type=int, default=50)
    args = ap.parse_args()
    embedder = MiniLMEmbedder()
    with Timer() as qt:
        query = embedder.embed(["security review and compliance concerns"])
    rng = np.random.default_rng(1)
    print(f"machine: {machine()}")
    print(f"query embedding: {qt.seconds * 1000:.1f} ms (first call, includes loading the model)")
    with Timer() as qt2:
        embedder.embed(["who owns the rollout day to day"])
    print(f"query embedding: {qt2.seconds * 1000:.1f} ms (warm)")
    print(f"{'chunks':>8} {'p50 ms':>8} {'p95 ms':>8} {'load s':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            store = VectorStore(Settings.from_env(Path(tmp)).home, embedder)
            with Timer() as load:
                for start in range(0, size, 5000):
                    n = min(5000, size - start)
                    vecs = rng.standard_normal((n, 384)).astype(np.float32)
                    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
                    store.collection.add(
                        ids=[f"c{start + i}" for i in range(n)],
                        embeddings=list(vecs),
                        documents=[f"chunk {start + i}" for i in range(n)],
                        metadatas=[
                            {
                                "deal_id": f"deal-{(start + i) % args.deals}",
                                "source_id": "s",
                                "content_hash": "h",
                            }
                            for i in range(n)
                        ],
                    )
            times = []
            for q in range(args.queries):
                with Timer() as t:
                    store.collection.query(
                        query_embeddings=list(query), n_results=8, where={"deal_id": f"deal-{q % args.deals}"}
                    )
                times.append(t.seconds * 1000)
            print(
                f"{size:>8} {percentile(times, 50):>8.2f} {percentile(times, 95):>8.2f} {load.seconds:>8.1f}"
            )
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

"""1. Ingest throughput against the raw embedder on the same chunks, in the same run.

python bench/ingest_throughput.py [--deals 4] [--docs 25]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import Timer, machine, peak_rss_mb, write_corpus

from briefgen.config import Settings
from briefgen.embeddings import MiniLMEmbedder
from briefgen.ingest import load_file
from briefgen.ingestion import ingest_paths, split_text
from briefgen.store import Store


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--deals", type=int, default=4)
    ap.add_argument("--docs", type=int, default=25)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_corpus(Path(tmp) / "corpus", args.deals, args.docs)
        embedder = MiniLMEmbedder()
        embedder.embed(["warm up"])  # load weights outside both timings
        settings = Settings.from_env(Path(tmp) / "home")
        files = sorted(corpus.rglob("*.md"))
        chunks = [
            c
            for f in files
            for _, c in split_text(load_file(f, 10**8)[0].text, settings.chunk_size, settings.chunk_overlap)
        ]
        with Timer() as raw:
            embedder.embed(chunks)
        store = Store(settings, embedder)
        with Timer() as pipe:
            report = ingest_paths(store, [corpus])
        assert report.chunks == len(chunks), (report.chunks, len(chunks))
        with Timer() as again:
            ingest_paths(store, [corpus])
    docs = len(files)
    print(f"machine: {machine()}")
    print(f"corpus: {args.deals} deals x {args.docs} docs = {docs} documents, {len(chunks)} chunks")
    print(f"raw embedder:   {len(chunks) / raw.seconds:7.1f} chunks/s ({raw.seconds:.2f}s)")
    print(
        f"ingest pipeline:{len(chunks) / pipe.seconds:7.1f} chunks/s, {docs / pipe.seconds:.1f} documents/s "
        f"({pipe.seconds:.2f}s)"
    )
    print(f"ratio pipeline/embedder: {raw.seconds / pipe.seconds:.3f} (goal >= 0.9)")
    print(f"re-ingest unchanged: {again.seconds:.2f}s ({docs / again.seconds:.0f} documents/s)")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

"""The local model's brief: seconds, prompt and output tokens per brief for each example deal,
in both LLM modes (assist: the model reviews the offline findings; one-pass: it reads the deal
alone), and what prompt-prefix reuse saves: the same brief timed right after another deal's
brief (llama.cpp keeps the shared prefix of instructions and schema evaluated) and after the
model's cache was reset.

    BRIEFGEN_LOCAL_MODEL=/path/to/model.gguf python bench/local_brief.py [--deals a,b] [--modes assist,one-pass]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
from pathlib import Path

from common import Timer, machine, peak_rss_mb

from briefgen.config import Settings
from briefgen.embeddings import HashEmbedder
from briefgen.engines import get_engine
from briefgen.engines.llm import LLMEngine
from briefgen.generate import write_brief
from briefgen.ingestion import ingest_paths
from briefgen.models import local as local_backend
from briefgen.store import Store

EXAMPLES = Path(__file__).resolve().parent.parent / "ingest"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--deals", default="acme-logistics,brightside-bakery,helix-health,orbit-fintech,quarry-media"
    )
    ap.add_argument("--modes", default="assist,one-pass")
    args = ap.parse_args()
    deals = args.deals.split(",")
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(Path(tmp) / "home")
        store = Store(settings, HashEmbedder())
        ingest_paths(store, [EXAMPLES])
        results: dict[str, list[float]] = {}
        for mode in args.modes.split(","):
            engine = get_engine("local", dataclasses.replace(settings, llm_mode=mode))
            assert isinstance(engine, LLMEngine)
            results[mode] = []
            for deal in deals:
                with Timer() as t:
                    brief, _ = write_brief(store, deal, engine, settings, save=False)
                usage = brief.provenance.usage
                results[mode].append(t.seconds)
                items = sum(1 for _ in brief.items())
                print(
                    f"{mode:9} {deal:18} {t.seconds:6.1f} s  prompt {usage.get('input_tokens', 0):5}  "
                    f"output {usage.get('output_tokens', 0):4}  items {items:2}  "
                    f"unknown ids {brief.provenance.dropped_unknown_id}  engine {brief.engine}"
                )
        for mode, seconds in results.items():
            print(f"{mode}: p50 {statistics.median(seconds):.1f} s over {len(seconds)} deals")
        # Prefix reuse: the last deal again, once right after another deal (shared prefix still
        # evaluated), once after clearing the model's state.
        engine = get_engine("local", settings)
        first, again = deals[0], deals[-1]
        write_brief(store, first, engine, settings, save=False)
        with Timer() as warm:
            write_brief(store, again, engine, settings, save=False)
        for llm in local_backend._cache.values():
            llm.reset()
        with Timer() as cold:
            write_brief(store, again, engine, settings, save=False)
        print(
            f"prefix reuse: {again} after {first} {warm.seconds:.1f} s, after a reset {cold.seconds:.1f} s "
            f"(ratio {warm.seconds / cold.seconds:.2f})"
        )
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

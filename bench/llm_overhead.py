"""4. LLM path overhead: everything but the model call (prompt building, HTTP client, parsing,
grounding, handoff rules, storage), measured against a local endpoint that answers at once;
and, if the local model is installed, its tokens/s and seconds per brief.

    python bench/llm_overhead.py [--repeat 20] [--local]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import slow_openai_server
from common import Timer, machine, peak_rss_mb

from briefgen.config import Settings
from briefgen.embeddings import HashEmbedder
from briefgen.engines import get_engine
from briefgen.engines.llm import LLMEngine
from briefgen.generate import write_brief
from briefgen.ingestion import ingest_paths
from briefgen.models.openai_compat import OpenAICompatModel
from briefgen.store import Store

EXAMPLES = Path(__file__).resolve().parent.parent / "ingest"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--local", action="store_true", help="also time the installed local model")
    args = ap.parse_args()
    server, url = slow_openai_server.start(0.0)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Settings.from_env(Path(tmp) / "home"), HashEmbedder())
        ingest_paths(store, [EXAMPLES])
        engine = LLMEngine(OpenAICompatModel(url, "instant", method="json_object"))
        write_brief(store, "acme-logistics", engine, save=False)  # warm imports and client
        total, model = [], []
        for _ in range(args.repeat):
            with Timer() as t:
                brief, _ = write_brief(store, "acme-logistics", engine)
            total.append(t.seconds * 1000)
            model.append(float(brief.provenance.model_ms))  # type: ignore[attr-defined]
        with Timer() as ex:
            for _ in range(args.repeat):
                write_brief(store, "acme-logistics", "extractive")
        t_mean, m_mean = sum(total) / len(total), sum(model) / len(model)
        print(
            f"openai path, instant endpoint: {t_mean:.1f} ms per brief, of which the HTTP call "
            f"{m_mean:.1f} ms; everything else {t_mean - m_mean:.1f} ms"
        )
        print(f"extractive engine, same deal: {ex.seconds / args.repeat * 1000:.1f} ms per brief")
        if args.local:
            settings = Settings.from_env(Path(tmp) / "home")
            local = get_engine("local", settings)
            assert isinstance(local, LLMEngine)
            with Timer() as lt:
                brief, _ = write_brief(store, "acme-logistics", local, settings, save=False)
            usage = brief.provenance.usage
            print(
                f"local model {local.name}: {lt.seconds:.1f} s per brief, "
                f"{usage.get('input_tokens', 0)} prompt + {usage.get('output_tokens', 0)} output tokens, "
                f"{usage.get('output_tokens', 0) / lt.seconds:.1f} output tokens/s overall, "
                f"dropped unverified {brief.provenance.dropped_unverified}"
            )
    server.shutdown()
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

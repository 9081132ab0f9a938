"""Chunks and their embeddings in chromadb, always scoped to one deal."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from . import (
    _offline,  # noqa: F401  (chromadb reads telemetry settings at import)
    store_lock,
)
from .embeddings import Embedder
from .errors import StoreError

COLLECTION = "briefgen_chunks"


@dataclass
class Chunk:
    id: str
    text: str
    metadata: dict[str, Any]
    distance: float | None = None


def _embedding_function(embedder: Embedder) -> Any:
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

    class BriefgenEmbeddingFunction(EmbeddingFunction[Documents]):
        # Explicit so chromadb never falls back to its default, which downloads a model.
        def __init__(self, inner: Embedder) -> None:
            self._embedder = inner

        def __call__(self, input: Documents) -> Embeddings:
            return list(self._embedder.embed(list(input)))

        @staticmethod
        def name() -> str:
            return "briefgen"

        def get_config(self) -> dict[str, Any]:
            return {"model": self._embedder.name}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> BriefgenEmbeddingFunction:
            from .embeddings import embedder_named

            return BriefgenEmbeddingFunction(embedder_named(str(config.get("model", ""))))

        def default_space(self) -> Any:
            return "cosine"

    return BriefgenEmbeddingFunction(embedder)


class VectorStore:
    def __init__(self, home: Path, embedder: Embedder, chroma_url: str | None = None) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.embedder = embedder
        self._lock: Path | None = None
        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        try:
            if chroma_url:
                url = urlparse(chroma_url)
                self.client = chromadb.HttpClient(
                    host=url.hostname or "127.0.0.1",
                    port=url.port or (443 if url.scheme == "https" else 8000),
                    ssl=url.scheme == "https",
                    settings=settings,
                )
            else:
                home.mkdir(parents=True, exist_ok=True)
                self._lock = store_lock.acquire(home / "chroma")
                self.client = chromadb.PersistentClient(path=str(home / "chroma"), settings=settings)
            self.collection = self.client.get_or_create_collection(
                name=f"{COLLECTION}_{embedder.name.lower().replace('-', '_')}",
                embedding_function=_embedding_function(embedder),
                metadata={"hnsw:space": "cosine"},
            )
        except StoreError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            where = chroma_url or str(home / "chroma")
            raise StoreError(f"cannot open the vector store at {where}: {exc}") from exc

    def close(self) -> None:
        """Let another process open the embedded store (a server's index needs nothing)."""
        if self._lock is not None:
            store_lock.release(self._lock)
            self._lock = None

    def add(self, chunks: list[Chunk]) -> None:
        if not chunks:
            return
        vectors = self.embedder.embed([c.text for c in chunks])
        try:
            self.collection.upsert(
                ids=[c.id for c in chunks],
                documents=[c.text for c in chunks],
                metadatas=[c.metadata for c in chunks],
                embeddings=list(vectors),
            )
        except Exception as exc:
            raise StoreError(f"vector store write failed: {exc}") from exc

    def delete_stale(self, source_id: str, current_hash: str) -> None:
        try:
            where: Any = {"$and": [{"source_id": source_id}, {"content_hash": {"$ne": current_hash}}]}
            self.collection.delete(where=where)
        except Exception as exc:
            raise StoreError(f"vector store delete failed for {source_id}: {exc}") from exc

    def delete_deal(self, deal_id: str) -> int:
        """Remove every chunk of a deal; returns how many there were."""
        try:
            found = self.collection.get(where={"deal_id": deal_id}, include=[])["ids"]
            if found:
                self.collection.delete(ids=found)
        except Exception as exc:
            raise StoreError(f"vector store delete failed for deal {deal_id}: {exc}") from exc
        return len(found)

    def count(self, deal_id: str | None = None, source_id: str | None = None) -> int:
        where: dict[str, Any] | None = None
        if deal_id and source_id:
            where = {"$and": [{"deal_id": deal_id}, {"source_id": source_id}]}
        elif deal_id:
            where = {"deal_id": deal_id}
        elif source_id:
            where = {"source_id": source_id}
        if where is None:
            return int(self.collection.count())
        return len(self.collection.get(where=where, include=[])["ids"])

    def query(self, deal_id: str, text: str, k: int = 8) -> list[Chunk]:
        """The deal's chunks nearest to `text`; the deal filter runs inside the index query."""
        vector = self.embedder.embed([text])
        try:
            res = self.collection.query(
                query_embeddings=list(vector),
                n_results=k,
                where={"deal_id": deal_id},
                include=["documents", "metadatas", "distances"],
            )
        except Exception as exc:
            raise StoreError(f"vector store query failed for deal {deal_id}: {exc}") from exc
        ids = res["ids"][0]
        docs = (res.get("documents") or [[]])[0]
        metas = (res.get("metadatas") or [[]])[0]
        dists = (res.get("distances") or [[]])[0]
        return [
            Chunk(i, d or "", dict(m or {}), float(dist))
            for i, d, m, dist in zip(ids, docs, metas, dists, strict=False)
        ]

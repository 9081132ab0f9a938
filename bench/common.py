"""Shared pieces of the benchmarks: a deterministic synthetic corpus, timing, peak memory."""

from __future__ import annotations

import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

NAMES = [
    "Robert Chen",
    "Priya Nair",
    "Tom Alvarez",
    "Grace Liu",
    "Omar Haddad",
    "Lena Fischer",
    "Jakob Weber",
    "Ellie Park",
    "Marcus Reid",
    "Sam Diaz",
    "Nadia Petrov",
    "Maria Gomez",
]
TITLES = ["VP Operations", "PMO Lead", "IT Director", "CFO", "Head of Support", "Engineering Manager"]
SENTENCES = [
    "{a} wants to cut onboarding time from {n} days to {m} days by March 31, 2027.",
    "{a} is worried about the SSO integration and the security review.",
    "We will deliver the data migration script at no extra cost.",
    "Kickoff is planned for December {d}, 2026 with the regional teams.",
    "{a} will own the rollout day to day; {b} will check in quarterly.",
    "The implementation is expected to take {n} weeks across {m} sites.",
    "Open question: who approves the change requests in each region?",
    "Next step: {b} will send the integration plan by November {d}.",
    "Pricing is ${p},000 per year for {m} seats.",
    "{b} is skeptical that the legacy tool can be switched off this year.",
    "The team handles about {p},000 tickets a month across {m} queues.",
    "Our goal is one queue for every escalation across all regions.",
]


def sentence(rng: random.Random) -> str:
    a, b = rng.sample(NAMES, 2)
    return rng.choice(SENTENCES).format(
        a=a, b=b, n=rng.randint(10, 60), m=rng.randint(2, 9), d=rng.randint(1, 28), p=rng.randint(20, 200)
    )


def document(rng: random.Random, deal: int, doc: int, sentences: int = 14) -> str:
    a, b = rng.sample(NAMES, 2)
    head = (
        f"# Call notes {deal}-{doc}\nDate: 2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}\n"
        f"Attendees: {a} ({rng.choice(TITLES)}, Account {deal}), {b} ({rng.choice(TITLES)}, Account {deal})\n\n"
    )
    return head + "\n".join(sentence(rng) for _ in range(sentences)) + "\n"


def write_corpus(root: Path, deals: int, docs: int, seed: int = 7, sentences: int = 14) -> Path:
    """`deals` folders of `docs` notes each; the same seed gives the same files."""
    rng = random.Random(seed)
    for d in range(deals):
        folder = root / f"deal-{d:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(docs):
            (folder / f"note-{i:04d}.md").write_text(document(rng, d, i, sentences))
    return root


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        self.cpu_start = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
        # CPU of every thread in this process: what the brief costs, whatever else the cores run.
        self.cpu_seconds = time.process_time() - self.cpu_start


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"

"""Form uploads as jobs: how long three call notes wait when someone else's large file was
queued just before them, with the upload workers (a lane for small uploads) and with one
first-come worker, side by side in one run.

    python bench/upload_fairness.py [--large-kb 300]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from common import machine

from briefgen import sections
from briefgen.config import Settings
from briefgen.embeddings import default_embedder
from briefgen.jobs import JobQueue
from briefgen.store import Store
from briefgen.uploads import LARGE, SMALL, queue_upload
from briefgen.worker import UPLOAD_KINDS, Worker, upload_lanes

ROOT = Path(__file__).resolve().parent.parent
SMALL_FILES = sorted(p for p in (ROOT / "ingest" / "acme-logistics").iterdir() if p.name != "deal.json")


def large_file(folder: Path, kb: int) -> Path:
    rows, total, n = [], 0, 0
    while total < kb * 1024:
        row = f"Week {n}: depot {n % 97} had {n % 13} delayed shipments; Priya follows up on exception {n}.\n"
        rows.append(row)
        total += len(row)
        n += 1
    path = folder / "weekly-syncs.txt"
    path.write_text("".join(rows))
    return path


def run(kb: int, lanes: bool) -> tuple[float, str, float | None]:
    """Seconds until the small upload is done, the large job's state then, and seconds until
    the large one is done (None when it was still running)."""
    # Each run embeds from nothing: no sentence vectors kept from the run before.
    sections._CACHE = sections._VectorCache()
    folder = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    store = Store(Settings(home=folder / "home", max_file_bytes=50 * 1024 * 1024))
    queue = JobQueue(store.records)
    big = queue_upload(store, queue, {"deal_id": "big"}, [large_file(folder, kb)], "ana")
    small = queue_upload(store, queue, {"deal_id": "acme"}, SMALL_FILES, "omar")
    assert big is not None and small is not None
    workers = Worker(store, queue, kinds=UPLOAD_KINDS)
    stop = threading.Event()
    kinds_per_thread = upload_lanes(1) if lanes else [(SMALL, LARGE)]

    def loop(kinds: tuple[str, ...]) -> None:
        while not stop.is_set():
            if not workers.run_once(kinds):
                stop.wait(0.05)

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(k,), daemon=True) for k in kinds_per_thread]
    for t in threads:
        t.start()
    small_done = large_done = None
    large_then = ""
    while large_done is None or small_done is None:
        now = time.perf_counter() - started
        if small_done is None and queue.get(small.id).status == "done":
            small_done = now
            progress = queue.progress(big.id)
            large_then = f"{queue.get(big.id).status}: {progress.note if progress else '-'}"
        if large_done is None and queue.get(big.id).status == "done":
            large_done = now
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join()
    store.close()
    assert small_done is not None
    return small_done, large_then, large_done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large-kb", type=int, default=300)
    args = parser.parse_args()
    print(machine())
    default_embedder().embed(["load the model before either run"])
    fifo = run(args.large_kb, lanes=False)
    lanes = run(args.large_kb, lanes=True)
    for name, (small, state, large) in (("one first-come worker", fifo), ("upload workers", lanes)):
        print(
            f"{name:24s} small done after {small:6.1f} s (large then {state}); large done after {large:6.1f} s"
        )
    print(f"small upload wait, upload workers / one worker: {lanes[0] / fifo[0]:.3f}")
    print(f"large upload time, upload workers / one worker: {lanes[2] / fifo[2]:.3f}")


if __name__ == "__main__":
    main()

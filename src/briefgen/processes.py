"""Worker processes for `briefgen serve`: the heavy work (embedding, briefs) runs in child
processes, so the API's interpreter and event loop are never held by it.

The parent starts N children (`python -m briefgen.processes`), hands each its settings on its
standard input and keeps that pipe open for the child's lifetime. A child reads the pipe until
it ends: when the parent is gone, whatever killed it (SIGKILL included), the pipe ends and the
child stops, so no worker outlives its server. The parent restarts a child that dies, with a
growing pause if it keeps dying, and on shutdown asks every child to stop (SIGTERM), then kills
what is still running.

Embedded Chroma (a folder in the data home) must be opened by one process only: without a
Chroma server there is exactly one worker process, whatever N is, and the API process never
opens the vector index.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import IO, BinaryIO

from .config import Settings

log = logging.getLogger(__name__)

# Seconds children get to finish the job in hand when the server stops, before they are killed
# (a killed child's job is taken up again by the next start, or by another worker).
STOP_TIMEOUT = 10.0
# Seconds a child whose server is gone gives the job in hand before it exits.
ORPHAN_GRACE = 5.0
WATCH_SECONDS = 0.5
# Pauses before restarting a child that died soon after it started, growing to the last.
RESTART_PAUSES = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
# A child that ran this long before dying is restarted at once, as a first failure.
HEALTHY_AFTER = 60.0
_HEADER = struct.Struct(">I")


def process_count(settings: Settings, wanted: int) -> int:
    """How many worker processes to run: any number with a Chroma server, one with embedded
    Chroma (chromadb's local folder is not safe to open from two processes)."""
    if wanted <= 0:
        return 0
    if settings.chroma_url:
        return wanted
    if wanted > 1:
        log.warning(
            "embedded Chroma: running 1 worker process instead of %d (set BRIEFGEN_CHROMA_URL for more)",
            wanted,
        )
    return 1


@dataclass
class _Child:
    index: int
    proc: subprocess.Popen[bytes]
    started: float
    failures: int = 0
    due: float | None = None  # when a dead child is restarted


class Supervisor:
    """Starts, watches, restarts and stops the worker processes of one server."""

    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.count = process_count(settings, count)
        self.children: list[_Child] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    def start(self) -> Supervisor:
        with self._lock:
            self.children = [_Child(i, self._spawn(i), time.monotonic()) for i in range(self.count)]
        if self.count:
            self._watcher = threading.Thread(target=self._watch, name="briefgen-supervisor", daemon=True)
            self._watcher.start()
        return self

    def _spawn(self, index: int) -> subprocess.Popen[bytes]:
        args = [sys.executable, "-m", "briefgen.processes", str(index)]
        if logging.getLogger().isEnabledFor(logging.DEBUG):
            args.append("--debug")
        # The pipe's writing end is not inherited (Python opens pipes close-on-exec), so only
        # this process holds it: its end is this process's end.
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, close_fds=True)
        assert proc.stdin is not None
        data = pickle.dumps(self.settings)
        try:
            proc.stdin.write(_HEADER.pack(len(data)) + data)
            proc.stdin.flush()
        except BrokenPipeError:  # died at once; the watcher restarts it
            pass
        return proc

    def _watch(self) -> None:
        while not self._stopping.wait(WATCH_SECONDS):
            with self._lock:
                for child in self.children:
                    self._check(child)

    def _check(self, child: _Child) -> None:
        now = time.monotonic()
        code = child.proc.poll()  # also reaps it, so its pid no longer looks alive
        if code is None:
            return
        if child.due is None:
            lived = now - child.started
            child.failures = 1 if lived >= HEALTHY_AFTER else child.failures + 1
            pause = RESTART_PAUSES[min(child.failures, len(RESTART_PAUSES)) - 1]
            log.warning(
                "worker process %d (pid %d) exited with %s after %.0f s; restarting in %.1f s",
                child.index,
                child.proc.pid,
                code,
                lived,
                pause,
            )
            _close(child.proc.stdin)
            child.due = now + pause
        if now >= child.due:
            child.proc = self._spawn(child.index)
            child.started = now
            child.due = None

    def alive(self) -> int:
        with self._lock:
            return sum(c.proc.poll() is None for c in self.children)

    def pids(self) -> list[int]:
        with self._lock:
            return [c.proc.pid for c in self.children if c.proc.poll() is None]

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Ask every child to stop (the job in hand may finish), kill those still running after
        `timeout` seconds, and reap them all."""
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        with self._lock:
            for c in self.children:
                if c.proc.poll() is None:
                    c.proc.terminate()
            deadline = time.monotonic() + timeout
            for c in self.children:
                try:
                    c.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    log.warning("worker process %d did not stop in %.0f s; killing it", c.index, timeout)
                    c.proc.kill()
                    c.proc.wait()
                _close(c.proc.stdin)


def _close(stream: IO[bytes] | None) -> None:
    if stream is not None:
        with contextlib.suppress(OSError):
            stream.close()


# --- the child ---------------------------------------------------------------------------


def _read_settings(stream: BinaryIO) -> Settings:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise SystemExit("briefgen worker process: no settings from the server")
    (size,) = _HEADER.unpack(header)
    # Pickle is safe here: the bytes come from the parent over a pipe only it can write.
    settings = pickle.loads(stream.read(size))
    if not isinstance(settings, Settings):
        raise SystemExit("briefgen worker process: the server sent no settings")
    return settings


def _watch_parent(stream: BinaryIO, stop: threading.Event) -> None:
    """Block on the pipe from the server; it ends when the server does."""
    while stream.read(4096):
        pass
    log.warning("worker process %d: the server is gone; stopping", os.getpid())
    stop.set()
    time.sleep(ORPHAN_GRACE)
    os._exit(0)


def child_main(index: int, debug: bool = False) -> None:
    # Ctrl-C in a terminal reaches the whole process group; the server decides when its
    # workers stop (SIGTERM), and a child without a server stops by itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(message)s")
    if not debug:
        for noisy in ("chromadb", "httpx", "onnxruntime", "briefgen.generate"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
    stream = sys.stdin.buffer
    settings = _read_settings(stream)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=_watch_parent, args=(stream, stop), name="briefgen-parent", daemon=True).start()

    from .jobs import JobQueue
    from .store import Store
    from .worker import WorkerPool, one_blas_thread, prepare

    one_blas_thread()
    store = Store(settings)
    queue = JobQueue(store.records, settings.job_lease)
    prepare(store)
    pool = WorkerPool(store, queue, 1, prefix=f"p{index}-").start()
    while not stop.wait(1.0):  # a timed wait lets the SIGTERM handler run promptly
        pass
    pool.shutdown(timeout=STOP_TIMEOUT)
    store.close()
    sys.stdout.flush()
    sys.stderr.flush()
    # Daemon threads may still sit in a model call or a database wait: leave without them.
    os._exit(0)


if __name__ == "__main__":
    child_main(int(sys.argv[1]) if len(sys.argv) > 1 else 0, "--debug" in sys.argv[2:])

"""`briefgen serve` as the tests run it: a real process on 127.0.0.1 with its own data home and
log, its settings from the environment (none of the developer's `BRIEFGEN_*`), ready once it
answers, stopped by the test. One class for every test file that starts a server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .llm_server import free_port
from .servers import answered, stop_process


class Served:
    def __init__(
        self,
        home: Path,
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
        ready: str = "/healthz",
    ) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(env or {})
        self.args = args
        self.ready = ready
        self.log = home.parent / f"server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90, **env: str) -> Served:
        full = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")}
        full.update(BRIEFGEN_HOME=str(self.home), **self.env, **env)
        self.home.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "briefgen.cli", "serve", "--port", str(self.port), *self.args],
            env=full,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab"),
        )
        why = answered(f"{self.url}{self.ready}", self.proc, timeout)
        if why is None:
            return self
        self.kill()
        raise RuntimeError(f"server {why}: {self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def send(self, sig: signal.Signals) -> int:
        """Send a signal and wait for the server to exit; its exit code."""
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=60)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        stop_process(self.proc, 30)


@contextmanager
def served(home: Path, *args: str, ready: str = "/healthz", **env: str) -> Iterator[Served]:
    server = Served(home, env, args, ready).start()
    try:
        yield server
    finally:
        server.stop()


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            out.append(int(entry.name))
    return out


def running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie, dead but not yet reaped, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def gone_within(pids: list[int], seconds: float) -> list[int]:
    """Those of `pids` still running after waiting up to `seconds` for them to end."""
    deadline = time.monotonic() + seconds
    alive = [p for p in pids if running(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [p for p in alive if running(p)]
    return alive

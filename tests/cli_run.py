"""Running the installed `briefgen` console script as a user or a scheduled job does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BRIEFGEN = str(Path(sys.executable).with_name("briefgen"))


def clean_env(home: Path | None, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BRIEFGEN_") and k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "XDG_DATA_HOME")
    }
    if home is not None:
        env["BRIEFGEN_HOME"] = str(home)
    env.update(extra)
    return env


def run(
    home: Path | None, *args: str, cwd: Path | None = None, timeout: float = 300, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BRIEFGEN, *args],
        capture_output=True,
        text=True,
        env=clean_env(home, **env),
        cwd=cwd,
        timeout=timeout,
    )


def refusing_url() -> str:
    """An endpoint on this machine where nothing listens: every connection is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    return f"http://127.0.0.1:{port}/v1"


@contextmanager
def hanging_endpoint() -> Iterator[str]:
    """An endpoint that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)  # read nothing, answer nothing

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        server.close()

"""Real servers for the tests, started on 127.0.0.1 in a temporary folder and stopped after:
PostgreSQL from the machine's packages (Debian's `postgresql`, which `make test` installs) and
a Chroma server (`chroma run`, shipped with the chromadb package). A server that cannot start
fails the test with the reason; nothing is skipped."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from .llm_server import free_port


def answered(url: str, proc: subprocess.Popen[bytes], timeout: float) -> str | None:
    """None once GET `url` answers 200; else why not: the process exited, or it never answered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"exited {proc.returncode}"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return None
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return f"did not answer on {url} within {timeout:.0f} s"


def stop_process(proc: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """SIGTERM, and SIGKILL if it is still there after `timeout` seconds."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    # Debian keeps the server binaries out of PATH, one folder per major version.
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if not candidates:
        raise RuntimeError(
            f"PostgreSQL's {name} was not found (on PATH or /usr/lib/postgresql/*/bin): "
            "install Debian's postgresql package (`make test` does: apt-get install postgresql)"
        )
    return candidates[-1]


class Postgres:
    """A throwaway PostgreSQL cluster. initdb refuses to run as root, so as root the cluster
    belongs to the `postgres` system user the Debian package creates."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="briefgen-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = free_port()
        self.user = "briefgen"
        self._as: list[str] = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError as exc:
                raise RuntimeError(
                    "running as root and there is no 'postgres' user to own the cluster"
                ) from exc
            self._as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.dir, "postgres")

    def _run(self, *args: str) -> None:
        proc = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(
                f"{Path(args[0]).name} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}"
                + (f"\nserver log:\n{log[-2000:]}" if log else "")
            )

    def start(self) -> Postgres:
        self._run(
            _pg_bin("initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} "
            "-c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database in this cluster; its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            if self.data.exists():
                self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class ChromaServer:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="briefgen-chroma-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ChromaServer:
        exe = Path(sys.executable).parent / "chroma"
        if not exe.exists():
            found = shutil.which("chroma")
            if not found:
                raise RuntimeError("the `chroma` command (from the chromadb package) was not found")
            exe = Path(found)
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        log = (self.dir / "server.log").open("wb")
        self.proc = subprocess.Popen(
            [
                str(exe),
                "run",
                "--path",
                str(self.dir / "data"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        why = answered(f"{self.url}/api/v2/heartbeat", self.proc, 60)
        if why is None:
            return self
        self.stop()
        raise RuntimeError(f"chroma run {why}: {self.log_tail()}")

    def log_tail(self) -> str:
        path = self.dir / "server.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        stop_process(self.proc, 10)
        shutil.rmtree(self.dir, ignore_errors=True)

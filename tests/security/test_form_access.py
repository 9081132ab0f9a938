"""The web form is behind sign-in, answers only to allowed host names, and reads only files
this session uploaded: against a real server, through HTTP and through gradio_client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from briefgen.config import Settings
from briefgen.webauth import Sessions, file_paths, users

from ..conftest import EXAMPLES
from ..served import Served

SECRET_FILE_TEXT = "server-only-file: the contents of this file must never reach a brief"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("form-home")
    private = tmp_path_factory.mktemp("private") / "notes.txt"
    private.write_text(SECRET_FILE_TEXT)
    env = {"BRIEFGEN_API_KEYS": "ana:key-ana,key-two", "BRIEFGEN_ENGINE": "extractive"}
    server = Served(home, env).start()
    yield server.url, private
    server.stop()


def sign_in(url: str, key: str) -> httpx.Response:
    return httpx.post(f"{url}/login", data={"key": key, "next": "/ui/"})


def test_without_a_session_the_form_and_its_api_are_refused(server: tuple[str, Path]) -> None:
    url, _ = server
    page = httpx.get(f"{url}/ui/", headers={"Accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    for method, path in [
        ("GET", "/ui/config"),
        ("GET", "/ui/gradio_api/info"),
        ("POST", "/ui/gradio_api/queue/join"),
        ("POST", "/ui/gradio_api/upload"),
        ("POST", "/ui/gradio_api/run/on_generate"),
    ]:
        r = httpx.request(method, f"{url}{path}", json={"data": []})
        assert r.status_code == 401, (method, path, r.status_code)
    forged = httpx.get(f"{url}/ui/config", cookies={"briefgen_session": "e30.deadbeef"})
    assert forged.status_code == 401


def test_sign_in_with_an_api_key(server: tuple[str, Path]) -> None:
    url, _ = server
    wrong = sign_in(url, "nope")
    assert wrong.status_code == 401 and "not valid" in wrong.text
    ok = sign_in(url, "key-ana")
    assert ok.status_code == 303 and ok.headers["location"] == "/ui/"
    assert "HttpOnly" in ok.headers["set-cookie"] and "SameSite=Strict" in ok.headers["set-cookie"]
    assert httpx.get(f"{url}/ui/config", cookies=ok.cookies).status_code == 200
    # never redirects off the server after sign-in
    away = httpx.post(f"{url}/login", data={"key": "key-ana", "next": "//evil.example/"})
    assert away.headers["location"] == "/ui/"


def test_unknown_host_names_are_refused(server: tuple[str, Path]) -> None:
    url, _ = server
    assert httpx.get(f"{url}/healthz", headers={"Host": "rebind.evil.example"}).status_code == 400
    assert (
        httpx.get(f"{url}/healthz", headers={"Host": f"localhost:{url.rsplit(':', 1)[1]}"}).status_code == 200
    )


def test_a_server_path_as_a_file_value_is_refused(server: tuple[str, Path]) -> None:
    from gradio_client import Client, handle_file

    url, private = server
    cookie = sign_in(url, "key-two").headers["set-cookie"].split(";")[0]
    # The raw attack: a FileData naming a server path, sent straight to the queue.
    attack = {
        "data": [
            "stolen",
            [{"path": str(private), "meta": {"_type": "gradio.FileData"}}],
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        "fn_index": 0,
        "session_hash": "abc",
    }
    r = httpx.post(f"{url}/ui/gradio_api/queue/join", json=attack, headers={"Cookie": cookie})
    assert r.status_code == 403 and "uploaded through this form" in r.text
    # Through the client: a file it uploads is accepted and ingested ...
    client = Client(f"{url}/ui/", verbose=False, headers={"Cookie": cookie})
    upload = str(EXAMPLES / "brightside-bakery" / "call-notes-2026-09-29.txt")
    queued = client.predict(
        "bakery-form",
        [handle_file(upload)],
        "Brightside",
        "",
        "USD",
        "",
        "",
        "closedwon",
        api_name="/on_ingest",
    )[0]
    job_id = int(queued.removeprefix("Queued as job ").rstrip("."))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # ingest runs as a job; its report says what it read
        job = httpx.get(f"{url}/v1/jobs/{job_id}", headers={"Authorization": "Bearer key-two"}).json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.5)
    assert job["status"] == "done" and "1 added" in job["progress"]["report"]
    # ... another session cannot reuse that uploaded path.
    other = sign_in(url, "key-ana").headers["set-cookie"].split(";")[0]
    reuse = {**attack, "data": ["x", [{"path": "/tmp/whatever", "meta": {"_type": "gradio.FileData"}}]]}
    assert (
        httpx.post(f"{url}/ui/gradio_api/queue/join", json=reuse, headers={"Cookie": other}).status_code
        == 403
    )


def test_sessions_and_users(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, api_keys=("ana:alpha", "beta"))
    assert users(settings) == {"alpha": "ana", "beta": "key-2"}
    sessions = Sessions(settings)
    token = sessions.issue("ana", now=1000.0)
    assert sessions.verify(token, now=1001.0)["u"] == "ana"
    assert sessions.verify(token, now=1000.0 + 13 * 3600) is None  # expired
    assert sessions.verify(token[:-1] + ("0" if token[-1] != "0" else "1"), now=1001.0) is None
    rotated = Sessions(Settings(home=tmp_path, api_keys=("ana:gamma",)))
    assert rotated.verify(token, now=1001.0) is None  # new keys sign everyone out
    assert file_paths({"data": [{"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}, "text"]}) == [
        "/etc/passwd"
    ]

"""Who may use the web form, and which files it may read.

The form is served under `/ui` by the same process as the API and takes the same credentials:
a person signs in once with an API key (`BRIEFGEN_API_KEYS`, entries `key` or `name:key`) and
gets a signed session cookie. `FormGuard` sits in front of everything under `/ui`:

- no valid session, no form: pages redirect to `/login`, API calls get 401;
- a file value in a form call must name a file this session uploaded through the form's upload
  endpoint. Gradio itself skips its "uploaded by the user?" check when the form is mounted in
  FastAPI rather than launched, so the check lives here, whichever way the form is served.

With no API keys configured the form is for one local user: the session is issued without a
password, and the `Host` allowlist (`BRIEFGEN_ALLOWED_HOSTS`, loopback names by default) keeps
a web page elsewhere from reaching it through DNS rebinding.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote

from .config import Settings

COOKIE = "briefgen_session"
SESSION_SECONDS = 12 * 3600
LOCAL_USER = "local"
_MAX_FORM_BODY = 16 * 1024 * 1024  # form calls carry JSON, not files; uploads go elsewhere

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def users(settings: Settings) -> dict[str, str]:
    """API key -> the name actions are recorded under."""
    out: dict[str, str] = {}
    for n, entry in enumerate(settings.api_keys, start=1):
        name, sep, key = entry.partition(":")
        if sep and name.strip() and key.strip():
            out[key.strip()] = name.strip()
        else:
            out[entry] = f"key-{n}"
    return out


def check_key(settings: Settings, token: str) -> str | None:
    """The user a key belongs to, compared in constant time against every key."""
    found = None
    for key, name in users(settings).items():
        if hmac.compare_digest(token.encode(), key.encode()):
            found = name
    return found


class Sessions:
    """Stateless signed cookies: any replica holding the same keys (or the same
    `BRIEFGEN_SESSION_SECRET`) accepts them; rotating the keys signs everyone out."""

    def __init__(self, settings: Settings) -> None:
        secret = settings.session_secret or "\n".join(sorted(settings.api_keys)) or secrets.token_hex(32)
        self._key = hashlib.sha256(b"briefgen-session\0" + secret.encode()).digest()

    def issue(self, user: str, now: float | None = None) -> str:
        body = {
            "u": user,
            "sid": secrets.token_urlsafe(16),
            "exp": int((now or time.time()) + SESSION_SECONDS),
        }
        raw = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode()
        return raw + "." + self._sign(raw)

    def verify(self, token: str | None, now: float | None = None) -> dict[str, Any] | None:
        if not token or token.count(".") != 1:
            return None
        raw, sig = token.split(".")
        if not hmac.compare_digest(sig, self._sign(raw)):
            return None
        try:
            body = json.loads(base64.urlsafe_b64decode(raw.encode()))
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(body, dict) or int(body.get("exp", 0)) < (now or time.time()):
            return None
        return body

    def _sign(self, raw: str) -> str:
        return hmac.new(self._key, raw.encode(), hashlib.sha256).hexdigest()


def cookie_value(headers: list[tuple[bytes, bytes]], name: str = COOKIE) -> str | None:
    for key, value in headers:
        if key.lower() == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header is no session
                continue
            if name in jar:
                return jar[name].value
    return None


def user_from_cookies(settings: Settings, cookies: dict[str, str]) -> str | None:
    """The signed-in user for a request the form's event handlers see."""
    session = Sessions(settings).verify(cookies.get(COOKIE))
    return str(session["u"]) if session else None


def set_cookie_header(token: str, secure: bool, max_age: int = SESSION_SECONDS) -> tuple[bytes, bytes]:
    flags = f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    return b"set-cookie", (flags + ("; Secure" if secure else "")).encode()


def file_paths(value: Any) -> list[str]:
    """Every file path a form call's JSON names (Gradio FileData and anything shaped like it)."""
    found: list[str] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if "path" in v and (
                isinstance(v.get("meta"), dict) or "orig_name" in v or "url" in v or "is_stream" in v
            ):
                found.append(str(v["path"]))
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return found


class Uploads:
    """The files each session uploaded through the form, in memory: a form session lives on
    one server process, which is where its uploads were written."""

    def __init__(self, limit: int = 2000) -> None:
        self._by_sid: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._limit = limit

    def add(self, sid: str, paths: list[str]) -> None:
        with self._lock:
            kept = self._by_sid.setdefault(sid, [])
            kept.extend(paths)
            del kept[: max(0, len(kept) - self._limit)]

    def owns(self, sid: str, path: str) -> bool:
        with self._lock:
            return path in self._by_sid.get(sid, ())


def _login_page(next_url: str, error: str = "") -> bytes:
    err = f"<p class='err'>{html.escape(error)}</p>" if error else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in · briefgen</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:24rem;margin:12vh auto;padding:0 1rem}}
input,button{{font:inherit;width:100%;padding:.5rem;margin:.3rem 0 .8rem;box-sizing:border-box}}
.err{{color:#9b1c1c}}</style></head><body><h1>briefgen</h1>
<p>Sign in with your briefgen API key.</p>{err}
<form method="post" action="/login"><input type="hidden" name="next" value="{html.escape(next_url)}">
<label for="key">API key</label><input id="key" name="key" type="password" autocomplete="current-password" autofocus>
<button type="submit" id="sign-in">Sign in</button></form></body></html>""".encode()


def _safe_next(value: str) -> str:
    # Only a path on this server: never an absolute or scheme-relative URL (open redirect).
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/ui/"
    return value


class FormGuard:
    """ASGI middleware: sign-in pages, sessions for `/ui`, and the uploads-only file rule."""

    def __init__(self, app: Any, settings: Settings, prefix: str = "/ui") -> None:
        self.app = app
        self.settings = settings
        self.prefix = prefix
        self.sessions = Sessions(settings)
        self.uploads = Uploads()
        self.open = not settings.api_keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if scope["type"] == "http" and path == "/login":
            await self._login(scope, receive, send)
            return
        if scope["type"] == "http" and path == "/logout":
            await self._redirect(send, "/login", [set_cookie_header("", self._secure(scope), max_age=0)])
            return
        if not (path == self.prefix or path.startswith(self.prefix + "/")):
            await self.app(scope, receive, send)
            return
        session = self.sessions.verify(cookie_value(scope.get("headers", [])))
        extra_headers: list[tuple[bytes, bytes]] = []
        if session is None and self.open:
            token = self.sessions.issue(LOCAL_USER)
            session = self.sessions.verify(token)
            extra_headers.append(set_cookie_header(token, self._secure(scope)))
        if session is None:
            await self._refuse(scope, send)
            return
        sid = str(session["sid"])
        method = scope.get("method", "GET")
        if scope["type"] == "http" and method == "POST" and path.rstrip("/").endswith("/upload"):
            await self._record_upload(scope, receive, send, sid, extra_headers)
            return
        if scope["type"] == "http" and method in ("POST", "PUT", "PATCH"):
            body = await _read_body(receive, _MAX_FORM_BODY)
            if body is None:
                await _plain(send, 413, "form call too large")
                return
            bad = self._foreign_file(body, sid)
            if bad is not None:
                await _plain(send, 403, "files must be uploaded through this form")
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, _with_headers(send, extra_headers))

    def _foreign_file(self, body: bytes, sid: str) -> str | None:
        try:
            data = json.loads(body) if body.strip() else None
        except (ValueError, UnicodeDecodeError):
            return None  # not JSON: Gradio reads no file values from it
        for p in file_paths(data):
            if not self.uploads.owns(sid, p):
                return p
        return None

    async def _record_upload(
        self, scope: Scope, receive: Receive, send: Send, sid: str, extra: list[tuple[bytes, bytes]]
    ) -> None:
        chunks: list[bytes] = []
        start: Message = {}

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = b"".join(chunks)
                if start.get("status") == 200:
                    try:
                        paths = json.loads(body)
                    except ValueError:
                        paths = []
                    if isinstance(paths, list):
                        self.uploads.add(sid, [p for p in paths if isinstance(p, str)])
                start["headers"] = [
                    (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
                ] + [(b"content-length", str(len(body)).encode()), *extra]
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, capture)

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if scope.get("method") != "POST":
            if self.open:
                await self._redirect(send, _safe_next(query.get("next", ["/ui/"])[0]))
                return
            await _html(send, 200, _login_page(_safe_next(query.get("next", ["/ui/"])[0])))
            return
        body = await _read_body(receive, 64 * 1024)
        form = parse_qs((body or b"").decode("utf-8", "replace"))
        next_url = _safe_next(form.get("next", ["/ui/"])[0])
        user = LOCAL_USER if self.open else check_key(self.settings, form.get("key", [""])[0].strip())
        if user is None:
            await _html(send, 401, _login_page(next_url, "That key is not valid."))
            return
        token = self.sessions.issue(user)
        await self._redirect(send, next_url, [set_cookie_header(token, self._secure(scope))])

    async def _refuse(self, scope: Scope, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401})
            return
        accept = dict(scope.get("headers", [])).get(b"accept", b"")
        if scope.get("method") == "GET" and b"text/html" in accept:
            # A shared link to one version (?deal=…&version=…) still opens it after sign-in.
            target = scope.get("path", "/ui/")
            query = scope.get("query_string", b"").decode("latin-1")
            await self._redirect(
                send, "/login?next=" + quote(target + (f"?{query}" if query else ""), safe="")
            )
            return
        await _plain(send, 401, "sign in at /login first")

    @staticmethod
    def _secure(scope: Scope) -> bool:
        return scope.get("scheme") == "https"

    @staticmethod
    async def _redirect(send: Send, location: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [(b"location", location.encode()), (b"content-length", b"0"), *(headers or [])],
            }
        )
        await send({"type": "http.response.body", "body": b""})


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(parts)


def _replay(body: bytes, upstream: Receive) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:  # later reads wait for the client to go away, as they would without us
            return await upstream()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    if not extra:
        return send

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


async def _plain(send: Send, status: int, text: str) -> None:
    body = json.dumps({"detail": text}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _html(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

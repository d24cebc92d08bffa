"""Guards every aoikit web server shares: trusted hosts, a body size limit, a token off loopback, confined paths.

A server binds with :func:`bind` (a busy port is an ``AoikitError``), puts its app behind :func:`guard`, and
serves files only through :func:`confine`. The guards are plain ASGI middleware and one exception handler,
so they fit any FastAPI app.
"""

import errno
import hmac
import ipaddress
import os
import secrets
import signal
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from urllib.parse import parse_qs, urlsplit

import uvicorn
from fastapi.exceptions import RequestValidationError
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aoikit.errors import AoikitError

MAX_BODY = 64 * 1024
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
WILDCARDS = frozenset({"", "0.0.0.0", "::"})
TOKEN_HEADER = "X-Aoikit-Token"


class OutsideRootError(AoikitError, PermissionError):
    """A path that resolves (through symlinks or ``..``) outside the folder it must stay in."""


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps a server to this machine (``localhost``, ``127.0.0.0/8``, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def trusted_hosts(bind_host: str) -> list[str]:
    """Host header values to accept for a server bound to ``bind_host``.

    Loopback binds accept the loopback names only, which defeats DNS rebinding; a named address accepts
    that name; a wildcard bind (``0.0.0.0``, ``::``) accepts any, as the token guards it instead.
    """
    if is_loopback(bind_host):
        return list(LOOPBACK_NAMES)
    if bind_host in WILDCARDS:
        return ["*"]
    return [_bracketed(bind_host)]


def _bracketed(host: str) -> str:
    """``host`` as written in a URL: IPv6 addresses in brackets."""
    return f"[{host}]" if ":" in host else host


def server_url(bind_host: str, port: int, token: str | None = None) -> str:
    """The URL to open for a server bound to ``bind_host:port``, with ``?token=`` when it has one.

    A wildcard bind is named by this machine's host name.
    """
    name = socket.gethostname() if bind_host in WILDCARDS else bind_host
    return f"http://{_bracketed(name)}:{port}/" + ("" if token is None else f"?token={token}")


def new_token() -> str:
    """A fresh random access token, safe in a URL."""
    return secrets.token_urlsafe(24)


class BodyLimit:
    """Answers 413 to a request whose body is over ``max_body`` bytes, declared or streamed."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            await _refuse(413, f"request body over {self.max_body} bytes", scope, receive, send)
            return
        body = b""
        more = True
        while more:  # read it all here (it is small), so the app never sees more than the limit
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body:
                await _refuse(413, f"request body over {self.max_body} bytes", scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class SameOriginChanges:
    """Answers 403 to a request that may change something (not GET or HEAD) whose ``Origin`` header names another
    site than its ``Host``: a page of another site cannot make a browser change anything here."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD"):
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            if origin and urlsplit(origin).netloc != headers.get("host"):
                await _refuse(403, "requests from another site's page are refused", scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _refuse(status: int, detail: str, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer ``{"detail": detail}`` with ``status``."""
    await JSONResponse({"detail": detail}, status_code=status)(scope, receive, send)


class TokenGuard:
    """Lets a request through only with the token: ``X-Aoikit-Token`` header, ``?token=`` or the cookie.

    A token given in the query is also set as an HttpOnly cookie, so the page opened from the printed
    URL carries it on every later request. No token: 401; a wrong one: 403.
    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookie = f"aoikit_token_{scope['server'][1] if scope.get('server') else ''}"
        headers = Headers(scope=scope)
        from_query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [None])[0]
        from_cookie = _cookie(headers.get("cookie", ""), cookie)
        given = headers.get(TOKEN_HEADER) or from_query or from_cookie
        if given is None:
            await _refuse(401, "a token is needed: open the URL the server printed", scope, receive, send)
            return
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            await _refuse(403, "wrong token", scope, receive, send)
            return
        if from_query is None or from_cookie == self.token:
            await self.app(scope, receive, send)
            return
        set_cookie = f"{cookie}={self.token}; Path=/; HttpOnly; SameSite=Strict".encode()

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", set_cookie)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cookie(header: str, name: str) -> str | None:
    """The value of cookie ``name`` in a ``Cookie`` header."""
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """422 naming each bad field, without echoing its value (which may be huge, or NaN that JSON cannot hold)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return JSONResponse({"detail": [{"loc": e["loc"], "msg": e["msg"]} for e in errors]}, status_code=422)


def guard(app: Starlette, bind_host: str, token: str | None = None, max_body: int = MAX_BODY) -> None:
    """Put ``app`` behind the guards, outermost first: trusted hosts of ``bind_host``, the token, the body limit.

    Call it after the app's own middleware, so the guards run before any of it. Invalid requests get
    :func:`invalid_request`'s answer.
    """
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_middleware(BodyLimit, max_body=max_body)
    if token is not None:
        app.add_middleware(TokenGuard, token=token)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=trusted_hosts(bind_host), www_redirect=False)


def confine(root: Path, path: Path) -> Path:
    """``path`` with symlinks and ``..`` resolved, if that is inside ``root`` (resolved too).

    Raises:
        OutsideRootError: it resolves outside ``root``.
    """
    real = path.resolve()
    if not real.is_relative_to(root.resolve()):
        raise OutsideRootError(f"{path}: resolves outside {root}")
    return real


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free one).

    Its protocol is named (IPPROTO_TCP), so asyncio turns Nagle's algorithm off on each connection it accepts: with
    it on, a response written in two parts (head, then body) waits out the client's delayed ACK on a kept-alive
    connection, about 40 ms a request.

    Raises:
        AoikitError: the host is unknown, the port is in use, or binding is not allowed.
    """
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            if os.name == "posix":  # as socket.create_server: a restart may take the port of a closed server at once
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen()
        except OSError:
            sock.close()
            raise
        return sock
    except socket.gaierror as exc:
        raise AoikitError(f"cannot listen on {host}: unknown host ({exc.strerror})") from None
    except OSError as exc:
        in_use = exc.errno == errno.EADDRINUSE
        problem = "the port is in use (another server?); pick another --port" if in_use else exc.strerror
        raise AoikitError(f"cannot listen on {host}:{port}: {problem}") from None


@dataclass
class BoundServer:
    """An app's uvicorn server bound to its socket; ``url`` carries the token, if any."""

    server: uvicorn.Server
    sock: socket.socket
    url: str

    def serve(self) -> None:
        """Serve until Ctrl+C or SIGTERM (see :func:`run_until_stopped`)."""
        run_until_stopped(self.server, self.sock)


def run_until_stopped(server: uvicorn.Server, sock: socket.socket) -> None:
    """Run ``server`` on ``sock`` until Ctrl+C or SIGTERM. Either way it finishes the requests under way, then the
    caller's clean-up runs: uvicorn raises the signal again once it has stopped, and SIGTERM, whose default would end
    the process there, raises SystemExit(143) instead."""
    if threading.current_thread() is not threading.main_thread():
        server.run(sockets=[sock])
        return
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        server.run(sockets=[sock])
    finally:
        signal.signal(signal.SIGTERM, previous)


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)

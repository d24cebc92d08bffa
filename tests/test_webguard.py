"""The shared web guards on a tiny app: trusted hosts, body limit, token, confined paths, binding."""

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web guards need the serve extra")
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from aoikit.errors import AoikitError
from aoikit.webguard import OutsideRootError, bind, confine, guard, server_url, trusted_hosts


def echo_app(bind_host: str = "127.0.0.1", token: str | None = None, max_body: int = 100) -> TestClient:
    """A guarded app whose ``POST /echo`` answers the body's length."""
    app = FastAPI()

    @app.get("/")
    async def root() -> dict[str, str]:
        return {"ok": "yes"}

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    guard(app, bind_host, token, max_body)
    return TestClient(app, base_url="http://127.0.0.1:8765")


@pytest.mark.parametrize("host", ["localhost:8765", "127.0.0.1", "[::1]:8765", "LOCALHOST"])
def test_loopback_names_are_served(host: str) -> None:
    assert echo_app().get("/", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example:8765", "127.0.0.1.evil.example", "", "[::1"])
def test_other_host_names_are_refused(host: str) -> None:
    assert echo_app().get("/", headers={"Host": host}).status_code == 400


def test_trusted_hosts_by_bind_address() -> None:
    assert trusted_hosts("127.0.0.1") == trusted_hosts("::1") == ["localhost", "127.0.0.1", "[::1]"]
    assert trusted_hosts("192.168.1.5") == ["192.168.1.5"]
    assert trusted_hosts("fe80::1") == ["[fe80::1]"]
    assert trusted_hosts("0.0.0.0") == trusted_hosts("::") == ["*"]


def test_bodies_over_the_limit_are_413_declared_or_streamed() -> None:
    client = echo_app(max_body=100)
    assert client.post("/echo", content=b"x" * 100).json() == {"length": 100}
    assert client.post("/echo", content=b"x" * 101).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield from [b"x" * 60] * 2

    assert client.post("/echo", content=chunks()).status_code == 413


def test_off_loopback_every_request_needs_the_token() -> None:
    client = echo_app("0.0.0.0", token="s3cret")
    assert client.get("/").status_code == 401
    assert client.get("/", headers={"X-Aoikit-Token": "wrong"}).status_code == 403
    assert client.get("/?token=s3cre").status_code == 403
    assert client.get("/", headers={"X-Aoikit-Token": "s3cret"}).status_code == 200
    opened = client.get("/?token=s3cret")  # the printed URL: sets the cookie the page then sends
    assert opened.status_code == 200
    assert "HttpOnly" in opened.headers["set-cookie"] and "SameSite=Strict" in opened.headers["set-cookie"]
    assert client.post("/echo", content=b"abc").json() == {"length": 3}
    client.cookies.clear()
    assert client.post("/echo", content=b"abc").status_code == 401


def test_confine_follows_symlinks_and_refuses_what_leads_out(tmp_path: Path) -> None:
    root, outside = tmp_path / "images", tmp_path / "secret.txt"
    (root / "sub").mkdir(parents=True)
    outside.write_text("secret")
    (root / "sub" / "a.png").write_bytes(b"png")
    (root / "inner.png").symlink_to(root / "sub" / "a.png")
    (root / "evil.png").symlink_to(outside)
    assert confine(root, root / "inner.png") == (root / "sub" / "a.png").resolve()
    for path in (root / "evil.png", root / "sub" / ".." / ".." / "secret.txt"):
        with pytest.raises(OutsideRootError, match="resolves outside"):
            confine(root, path)


def test_bind_a_busy_port_is_an_error_naming_it() -> None:
    with bind("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(AoikitError, match=f"127.0.0.1:{port}: the port is in use"):
            bind("127.0.0.1", port)
    with pytest.raises(AoikitError, match="unknown host"):
        bind("no-such-host.invalid", 0)


def test_connections_to_a_bound_socket_send_at_once() -> None:
    """asyncio turns Nagle's algorithm off on the connections it accepts (no 40 ms wait for a delayed ACK)."""

    async def accepted_nodelay(listener: socket.socket) -> int:
        seen: list[int] = []

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            seen.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        while not seen:
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        return seen[0]

    with bind("127.0.0.1", 0) as listener:
        assert asyncio.run(accepted_nodelay(listener)) != 0


def test_server_url_names_a_wildcard_by_the_host_name() -> None:
    assert server_url("127.0.0.1", 8765) == "http://127.0.0.1:8765/"
    assert server_url("::1", 80, "t") == "http://[::1]:80/?token=t"
    assert server_url("0.0.0.0", 8765, "t") == f"http://{socket.gethostname()}:8765/?token=t"

"""The service against bad or hostile input: size and pixel limits, sniffed types, metadata, ids, keys, origins.

Every refusal is a 4xx with a JSON ``detail``; nothing a client sends becomes a path, and a fault of our own
is a 500 without a traceback.
"""

import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the inspection service needs the serve extra")
from fastapi.testclient import TestClient

from aoikit.errors import AoikitError
from aoikit.service.app import make_app
from aoikit.service.server import api_key_for

KEY = "k" * 24


@pytest.fixture
def service(open_service: Callable[..., Any]) -> Callable[..., tuple[TestClient, Any]]:
    def make(host: str = "127.0.0.1", token: str | None = None, **settings: Any) -> tuple[TestClient, Any]:
        inspector = open_service("ssim_ae", **settings)
        client = TestClient(
            make_app(inspector, host, token), base_url=f"http://{host}:8000", raise_server_exceptions=False
        )
        return client, inspector

    return make


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width × height`` grey pixels but holds a few bytes of them."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def refused(response: Any, status: int) -> str:
    """The ``detail`` of a JSON refusal with ``status``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert "Traceback" not in response.text
    return str(response.json()["detail"])


def test_bodies_over_the_upload_limit_are_413_and_store_nothing(service: Callable[..., Any]) -> None:
    api, _ = service(max_upload=10_000)
    assert "over 10000 bytes" in refused(api.post("/v1/inspect", content=b"\x89PNG" + b"0" * 10_000), 413)
    assert api.get("/v1/inspections").json()["total"] == 0


def test_frames_over_the_pixel_limit_are_413_before_decoding(service: Callable[..., Any], bad_png: Callable) -> None:
    api, _ = service()
    for side in (9_000, 40_000):  # over aoikit's limit; over Pillow's own too
        assert "over the limit" in refused(api.post("/v1/inspect", content=png_header(side, side)), 413)
    small_limit, _ = service(max_pixels=1000)
    assert "64×64 pixels" in refused(small_limit.post("/v1/inspect", content=bad_png(1)), 413)


@pytest.mark.parametrize(
    "data", [b"", b"hello, world", b"GIF89a\x01\x00\x01\x00", b"<svg xmlns='http://www.w3.org/2000/svg'/>"]
)
def test_the_type_is_told_from_the_bytes(service: Callable[..., Any], data: bytes) -> None:
    api, _ = service()
    response = api.post("/v1/inspect", files={"image": ("frame.png", data, "image/png")})
    assert "not a PNG, JPEG, BMP or TIFF" in refused(response, 415)


def test_cut_short_and_unreadable_frames_are_422(service: Callable[..., Any], bad_png: Callable) -> None:
    api, inspector = service()
    whole = bad_png(1)
    assert "truncated" in refused(api.post("/v1/inspect", content=whole[: len(whole) // 2]), 422)
    assert not [p for p in inspector.blobs.root.rglob("*") if p.is_file()]  # nothing kept of a refused frame
    assert "unreadable" in refused(api.post("/v1/inspect", content=b"\x89PNG\r\n\x1a\n" + b"\0" * 40), 422)
    assert "field 'image' must hold files" in refused(
        api.post("/v1/inspect", files={"x": ("a", b"")}, data={"image": "text"}), 422
    )


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"camera": "a\nb"}, "camera"),
        ({"line": "x" * 101}, "line"),
        ({"part_id": "\x00"}, "part_id"),
        ({"cmaera": "typo"}, "cmaera"),
        ({"key": "has space"}, "key"),
    ],
)
def test_bad_metadata_is_422_naming_the_field_without_echoing_it(
    service: Callable[..., Any], bad_png: Callable, fields: dict[str, str], loc: str
) -> None:
    api, _ = service()
    for response in (
        api.post("/v1/inspect", content=bad_png(1), params=fields),
        api.post("/v1/inspect", files={"image": ("a.png", bad_png(1))}, data=fields),
    ):
        assert response.status_code == 422
        [error] = response.json()["detail"]
        assert error["loc"] == [loc] and "input" not in error and next(iter(fields.values())) not in response.text
    assert api.get("/v1/inspections").json()["total"] == 0


def test_ids_are_checked_and_never_become_paths(service: Callable[..., Any], bad_png: Callable, tmp_path: Path) -> None:
    api, inspector = service()
    assert "no inspection" in refused(api.get("/v1/inspections/" + "0" * 32), 404)
    assert refused(api.get("/v1/inspections/" + "0" * 32 + "/map.png"), 404)
    for bad in ("ZZ" * 16, "..%2F..%2Fetc%2Fpasswd", "0" * 33):
        assert api.get(f"/v1/inspections/{bad}/overlay.png").status_code in (404, 422)
    stored = api.post("/v1/inspect", files={"image": ("../../escaped.png", bad_png(1))}).json()
    assert not list(tmp_path.rglob("escaped.png"))
    assert inspector.blobs.path(stored["image_sha256"]).is_file()
    with pytest.raises(AoikitError, match="not a sha256"):
        inspector.blobs.path("../../etc/passwd")


def test_a_fault_of_our_own_is_a_500_without_a_traceback(service: Callable[..., Any], bad_png: Callable) -> None:
    api, inspector = service()

    def broken(*args: Any) -> Any:
        raise RuntimeError("secret internals at /srv/x.py line 3")

    inspector.inspect = broken
    response = api.post("/v1/inspect", content=bad_png(1))
    assert "internal error" in refused(response, 500) and "secret" not in response.text


def test_off_loopback_every_request_needs_the_api_key(service: Callable[..., Any], bad_png: Callable) -> None:
    api, _ = service(host="0.0.0.0", token=KEY)
    assert refused(api.post("/v1/inspect", content=bad_png(1)), 401)
    assert refused(api.get("/v1/inspections", headers={"X-Aoikit-Token": "k" * 23 + "x"}), 403)
    assert refused(api.get("/metrics", params={"token": "wrong"}), 403)
    accepted = api.post("/v1/inspect", content=bad_png(1), headers={"X-Aoikit-Token": KEY})
    assert accepted.status_code == 201
    assert api.get("/v1/inspections", params={"token": KEY}).json()["total"] == 1  # the key in the URL is no metadata
    assert api.post("/v1/inspect", content=bad_png(2), params={"token": KEY, "camera": "c"}).json()["camera"] == "c"


def test_the_api_key_is_made_off_loopback_and_checked_when_given() -> None:
    assert api_key_for("127.0.0.1", None) == (None, False)
    made, here = api_key_for("0.0.0.0", None)
    assert made is not None and len(made) >= 16 and here
    assert api_key_for("127.0.0.1", KEY) == (KEY, False)
    with pytest.raises(AoikitError, match="at least 16"):
        api_key_for("0.0.0.0", "short")


def test_other_sites_and_host_names_are_refused(service: Callable[..., Any], bad_png: Callable) -> None:
    api, _ = service()
    assert "another site" in refused(
        api.post("/v1/inspect", content=bad_png(1), headers={"Origin": "http://evil.example"}), 403
    )
    same = api.post("/v1/inspect", content=bad_png(1), headers={"Origin": "http://127.0.0.1:8000"})
    assert same.status_code == 201
    assert api.get("/v1/inspections", headers={"Host": "evil.example:8000"}).status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 501},
        {"offset": -1},
        {"offset": 10**30},
        {"offset": 1_000_000_001},
        {"decision": "bad"},
        {"since": "yesterday"},
    ],
)
def test_bad_list_queries_are_422(service: Callable[..., Any], params: dict[str, Any]) -> None:
    api, _ = service()
    assert api.get("/v1/inspections", params=params).status_code == 422


def test_a_huge_offset_is_checked_before_the_database_sees_it(service: Callable[..., Any]) -> None:
    api, _ = service()
    assert api.get("/v1/inspections", params={"offset": 1_000_000_000}).json()["items"] == []
    response = api.get("/v1/inspections", params={"offset": "1000000000000000000000000000000"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "offset"]


def test_a_key_sent_again_with_another_image_is_409_and_stores_nothing_more(
    service: Callable[..., Any], bad_png: Callable
) -> None:
    api, _ = service()
    first = api.post("/v1/inspect", content=bad_png(1), headers={"Idempotency-Key": "cam1-7"})
    assert first.status_code == 201
    other = api.post("/v1/inspect", content=bad_png(2), headers={"Idempotency-Key": "cam1-7"})
    assert first.json()["id"] in refused(other, 409)
    by_field = api.post("/v1/inspect", files={"image": ("f.png", bad_png(2))}, data={"key": "cam1-7"})
    refused(by_field, 409)
    batch = api.post("/v1/inspect/batch", files=[("images", ("a.png", bad_png(3)))], data={"key": "b"}).json()
    again = api.post("/v1/inspect/batch", files=[("images", ("a.png", bad_png(4)))], data={"key": "b"}).json()
    assert again["results"][0]["error"]["status"] == 409 and "id" in batch["results"][0]
    assert api.post("/v1/inspect", content=bad_png(1), headers={"Idempotency-Key": "cam1-7"}).status_code == 200
    assert api.get("/v1/inspections").json()["total"] == 2


def test_a_key_raced_by_another_image_is_409(service: Callable[..., Any], bad_png: Callable) -> None:
    """Two requests with one key and different images at once: the loser of the insert gets 409, not the winner's
    result."""
    api, inspector = service()
    api.post("/v1/inspect", content=bad_png(1), headers={"Idempotency-Key": "race"})
    real, looks = inspector.store.by_key, []

    def late(key: str) -> Any:  # the first look misses, as if the other request committed just after it
        looks.append(key)
        return None if len(looks) == 1 else real(key)

    inspector.store.by_key = late
    refused(api.post("/v1/inspect", content=bad_png(2), headers={"Idempotency-Key": "race"}), 409)
    assert len(looks) == 2 and api.get("/v1/inspections").json()["total"] == 1

"""The review app against bad input: foreign hosts, huge or odd fields, symlinks out, no token, two servers."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the review app needs the serve extra")
from fastapi.testclient import TestClient

from aoikit.errors import AoikitError
from aoikit.labels import ImageLabels
from aoikit.review import make_app, review_server
from aoikit.review.state import STATE_FILE, load_state, save_state

CHANGE = {"X-Aoikit-Review": "1"}


def client(tmp_path: Path, **kwargs: Any) -> TestClient:
    """The review app of the ``prelabels`` fixture, called as ``http://127.0.0.1:8765``."""
    app = make_app(tmp_path / "labels", tmp_path / "images", **kwargs)
    return TestClient(app, base_url="http://127.0.0.1:8765")


def saved(tmp_path: Path) -> Any:
    return json.loads((tmp_path / "labels" / STATE_FILE).read_text())


def test_a_foreign_host_name_is_refused(prelabels: list[ImageLabels], tmp_path: Path) -> None:
    review, before = client(tmp_path), saved(tmp_path)
    rebound = {"Host": "evil.example:8765", **CHANGE}
    assert review.get("/api/overview", headers=rebound).status_code == 400
    assert review.post("/api/images/0/accept", headers=rebound).status_code == 400
    assert saved(tmp_path) == before
    assert review.get("/api/overview", headers={"Host": "localhost:8765"}).status_code == 200


def test_huge_bodies_and_bad_fields_are_refused_and_change_nothing(
    prelabels: list[ImageLabels], tmp_path: Path
) -> None:
    review, before = client(tmp_path), saved(tmp_path)
    regions = "/api/images/0/regions"
    assert (
        review.post(regions, headers=CHANGE, json={"box": [1, 1, 9, 9], "class_name": "x" * 5_000_000}).status_code
        == 413
    )
    for name in ("", "   ", "a\nb", "tab\there", "x" * 101):
        assert review.post(regions, headers=CHANGE, json={"box": [1, 1, 9, 9], "class_name": name}).status_code == 422
    for number in ("NaN", "Infinity", "-Infinity", "1e400"):
        body = f'{{"box": [1, 1, {number}, 9]}}'
        sent = {**CHANGE, "Content-Type": "application/json"}
        assert review.post(regions, headers=sent, content=body).status_code == 422, number
        assert review.patch(f"{regions}/0", headers=sent, content=body).status_code == 422, number
    assert review.post(regions, headers=CHANGE, json={"box": [1, 1, 9]}).status_code == 422
    assert saved(tmp_path) == before
    created = review.post(regions, headers=CHANGE, json={"box": [1, 1, 9, 9], "class_name": " scratch "})
    assert created.status_code == 200 and saved(tmp_path)["class_names"] == ["anomaly", "scratch"]


@pytest.mark.parametrize("where", ["labels/coco/images/b.png", "images/parts/b.png"], ids=["copy", "source"])
def test_an_image_symlinked_out_of_the_folder_is_not_served(
    prelabels: list[ImageLabels], tmp_path: Path, where: str
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0")
    if where.startswith("images/"):  # a review state from before the pre-label datasets held copies
        state = load_state(tmp_path / "labels")
        state["images"][1]["image_path"] = str(tmp_path / where)
        save_state(tmp_path / "labels", state)
    (tmp_path / where).unlink()
    (tmp_path / where).symlink_to(secret)
    answer = client(tmp_path).get("/api/images/1/pixels")
    assert answer.status_code == 403 and "resolves outside" in answer.json()["detail"]
    assert b"root:x" not in answer.content


def test_off_loopback_the_page_needs_the_token(prelabels: list[ImageLabels], tmp_path: Path) -> None:
    review = client(tmp_path, host="0.0.0.0", token="s3cret")
    assert review.get("/").status_code == 401
    assert review.post("/api/images/0/accept", headers=CHANGE).status_code == 401
    assert review.get("/?token=nope").status_code == 403
    assert saved(tmp_path)["images"][0]["status"] == "pending"
    assert review.get("/?token=s3cret").status_code == 200
    assert review.post("/api/images/0/accept", headers=CHANGE).status_code == 200  # the cookie carries it
    assert saved(tmp_path)["images"][0]["status"] == "accepted"


def test_one_server_per_folder_and_stale_temp_files_go(prelabels: list[ImageLabels], tmp_path: Path) -> None:
    labels, images = tmp_path / "labels", tmp_path / "images"
    stale = labels / ".review-crashed.tmp"
    stale.write_text('{"half')
    with review_server(labels, images, port=0) as first:
        assert not stale.exists()
        assert first.url.startswith("http://127.0.0.1:") and "token" not in first.url
        with (
            pytest.raises(AoikitError, match=r"labels: in use by aoikit review \(pid \d+\)"),
            review_server(labels, images, port=0),
        ):
            pass
    with review_server(labels, images, port=0):  # free again once the first is closed
        pass


def test_a_busy_port_frees_the_folder(prelabels: list[ImageLabels], tmp_path: Path) -> None:
    labels, images = tmp_path / "labels", tmp_path / "images"
    with review_server(labels, images, port=0) as first:
        port = int(first.url.rsplit(":", 1)[1].strip("/"))
        other = tmp_path / "other"
        other.mkdir()
        shutil.copytree(labels / "coco", other / "coco")
        with (
            pytest.raises(AoikitError, match=f"127.0.0.1:{port}: the port is in use"),
            review_server(other, images, port=port),
        ):
            pass
    with review_server(other, images, port=0):
        pass

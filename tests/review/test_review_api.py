"""Review API over HTTP: state from the pre-labels, every change on disk at once, export of the corrections."""

import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aoikit.errors import AoikitError
from aoikit.labels import ImageLabels, read_coco, read_voc, read_yolo
from aoikit.labels.coco import ANNOTATIONS
from aoikit.review import export_review
from aoikit.review.state import STATE_FILE, load_state

Serve = Callable[..., str]
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy


def call(url: str, method: str = "GET", body: Any = None, header: bool = True) -> tuple[int, Any]:
    """Status and parsed JSON answer of one request."""
    request = urllib.request.Request(url, None if body is None else json.dumps(body).encode(), method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if header:
        request.add_header("X-Aoikit-Review", "1")
    try:
        with _OPENER.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def on_disk(labels_dir: Path) -> Any:
    return json.loads((labels_dir / STATE_FILE).read_text())


def test_state_starts_from_the_prelabels(prelabels: list[ImageLabels], serve: Serve, tmp_path: Path) -> None:
    url = serve(tmp_path / "labels", tmp_path / "images")
    status, view = call(f"{url}/api/images/0")
    assert status == 200
    assert (view["count"], view["left"], view["current"]) == (2, 2, 0)
    regions = view["image"]["regions"]
    assert [r["box"] for r in regions] == [list(r.box) for r in prelabels[0].regions]
    assert [r["score"] for r in regions] == pytest.approx([0.9, 0.8, 0.7])
    assert {r["status"] for r in regions} == {"pending"}
    saved = on_disk(tmp_path / "labels")
    assert (saved["source"], saved["class_names"]) == ("coco", ["anomaly"])
    assert sorted(saved["formats"]) == ["coco", "labelme", "voc"]
    with _OPENER.open(f"{url}/api/images/1/pixels", timeout=10) as response:
        assert response.headers["content-type"] == "image/png"
    with _OPENER.open(f"{url}/", timeout=10) as response:
        assert b'data-testid="accept"' in response.read()


def test_changes_are_on_disk_at_once_and_a_new_app_sees_them(
    prelabels: list[ImageLabels], serve: Serve, tmp_path: Path
) -> None:
    labels_dir = tmp_path / "labels"
    url = serve(labels_dir, tmp_path / "images")
    regions = f"{url}/api/images/0/regions"
    call(f"{regions}/0", "PATCH", {"box": [10.4, 12, 45, 33.6]})
    assert on_disk(labels_dir)["images"][0]["regions"][0] | {"score": 0} == {
        "id": 0,
        "box": [10, 12, 45, 34],
        "polygon": [],
        "holes": [],
        "score": 0,
        "class_name": "anomaly",
        "status": "pending",
        "origin": "prelabel",
    }
    call(f"{regions}/1", "PATCH", {"status": "rejected"})
    assert on_disk(labels_dir)["images"][0]["regions"][1]["status"] == "rejected"
    status, view = call(regions, "POST", {"box": [120, 90, 100, 60]})
    assert (status, view["created"]) == (200, 3)
    drawn = on_disk(labels_dir)["images"][0]["regions"][-1]
    assert (drawn["box"], drawn["status"], drawn["origin"]) == ([100, 60, 120, 90], "accepted", "user")
    call(f"{regions}/2", "DELETE")
    assert [r["id"] for r in on_disk(labels_dir)["images"][0]["regions"]] == [0, 1, 3]
    call(f"{url}/api/current", "PUT", {"index": 1})
    assert on_disk(labels_dir)["current"] == 1
    assert not list(labels_dir.glob(".review-*")), "a temporary file was left behind"

    again = serve(labels_dir, tmp_path / "images")
    _, overview = call(f"{again}/api/overview")
    assert overview["current"] == 1
    assert call(f"{again}/api/images/0")[1]["image"] == call(f"{url}/api/images/0")[1]["image"]


def test_export_writes_the_corrected_labels(prelabels: list[ImageLabels], serve: Serve, tmp_path: Path) -> None:
    out = tmp_path / "reviewed"
    url = serve(tmp_path / "labels", tmp_path / "images", export_dir=out)
    call(f"{url}/api/images/0/regions/0", "PATCH", {"box": [12, 12, 44, 36]})
    call(f"{url}/api/images/0/regions/1", "PATCH", {"status": "rejected"})
    call(f"{url}/api/images/0/accept", "POST")
    status, answer = call(f"{url}/api/export", "POST")
    # label files and the image copy: VOC's XML, image set and label map; COCO's instances; LabelMe's JSON
    assert (status, answer["images"], answer["files"]) == (200, 1, {"voc": 4, "coco": 2, "labelme": 2})

    disc = prelabels[0].regions[2]
    (voc,) = read_voc(sorted((out / "voc" / "Annotations").glob("*.xml")))
    assert [r.box for r in voc.regions] == [(12, 12, 44, 36), disc.box]
    (coco,) = read_coco(out / "coco" / ANNOTATIONS)
    assert Path(coco.image_path) == out / "coco" / "images" / "a.png"
    assert Path(coco.image_path).read_bytes() == Path(prelabels[0].image_path).read_bytes()
    assert np.array_equal(coco.regions[1].paste(96, 128), disc.paste(96, 128))

    written = export_review(tmp_path / "labels", tmp_path / "again", ["yolo"])
    (yolo,) = read_yolo(tmp_path / "again" / "yolo" / "detect")
    assert len(written["yolo"]) == 2 * 3  # per task: label file, data.yaml, image
    assert [r.box for r in yolo.regions] == [(12, 12, 44, 36), disc.box]


def test_bad_requests_change_nothing(prelabels: list[ImageLabels], serve: Serve, tmp_path: Path) -> None:
    url = serve(tmp_path / "labels", tmp_path / "images")
    before = on_disk(tmp_path / "labels")
    assert call(f"{url}/api/images/0/accept", "POST", header=False)[0] == 403
    assert call(f"{url}/api/images/5", "GET")[0] == 404
    assert call(f"{url}/api/images/0/regions/9", "PATCH", {"status": "rejected"})[0] == 404
    assert call(f"{url}/api/images/0/regions/0", "PATCH", {"status": "maybe"})[0] == 422
    assert call(f"{url}/api/images/0/regions", "POST", {"box": [200, 10, 300, 20]})[0] == 400
    assert on_disk(tmp_path / "labels") == before


def test_labelme_prelabels_alone_and_none(prelabels: list[ImageLabels], tmp_path: Path) -> None:
    shutil.rmtree(tmp_path / "labels" / "coco")
    state = load_state(tmp_path / "labels")
    assert state["source"] == "labelme"
    assert [r["box"] for r in state["images"][0]["regions"]] == [list(r.box) for r in prelabels[0].regions]
    with pytest.raises(AoikitError, match="no pre-labels"):
        load_state(tmp_path / "images")


def test_a_moved_labels_folder_shows_and_exports_its_own_copies(
    prelabels: list[ImageLabels], serve: Serve, tmp_path: Path
) -> None:
    load_state(tmp_path / "labels")  # the review has started
    moved = tmp_path / "elsewhere" / "labels"
    moved.parent.mkdir()
    (tmp_path / "labels").rename(moved)
    shutil.rmtree(tmp_path / "images")  # the source images are gone
    (tmp_path / "images").mkdir()
    assert [image["image_path"] for image in on_disk(moved)["images"]] == ["coco/images/a.png", "coco/images/b.png"]
    url = serve(moved, tmp_path / "images", export_dir=tmp_path / "out")
    with _OPENER.open(f"{url}/api/images/1/pixels", timeout=10) as response:
        assert response.read() == (moved / "coco" / "images" / "b.png").read_bytes()
    call(f"{url}/api/images/1/accept", "POST")
    assert call(f"{url}/api/export", "POST")[0] == 200
    assert (tmp_path / "out" / "labelme" / "b.png").read_bytes() == (moved / "labelme" / "b.png").read_bytes()

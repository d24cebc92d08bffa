"""LabelMe folders: polygon + rectangle per region, each image beside its JSON; read by us and by LabelMe."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from aoikit.labels import ImageLabels, read_labelme, write_labelme


def test_round_trip(
    tmp_path: Path, sample: list[ImageLabels], class_names: list[str], check_round_trip: Callable[..., None]
) -> None:
    out = tmp_path / "labelme"
    written = write_labelme(sample, out, class_names)
    assert [p.name for p in written] == ["crack_000.json", "good_000.json", "crack_000.png", "good_000.tif"]
    paths = written[:2]
    data = json.loads(paths[0].read_text())
    assert {"version", "shapes", "imagePath", "imageHeight", "imageWidth", "imageData", "flags"} <= data.keys()
    assert data["imagePath"] == "crack_000.png"
    assert [s["shape_type"] for s in data["shapes"]] == ["polygon", "rectangle"] * 3
    assert data["shapes"][1]["points"] == [[8, 10], [30, 24]]
    read = read_labelme(paths)
    assert [item.image_path for item in read] == [str(p) for p in written[2:]]
    assert [r.score_max for r in read[0].regions] == pytest.approx([0.9, 0.7, 0.5])
    check_round_trip(sample, read, holes=False)


def test_rectangle_alone_is_a_box(tmp_path: Path) -> None:
    shape = {"label": "dent", "points": [[30, 20], [10, 5]], "shape_type": "rectangle", "group_id": None}
    data = {"version": "5.5.0", "shapes": [shape], "imagePath": "a.png", "imageHeight": 40, "imageWidth": 50}
    path = tmp_path / "a.json"
    path.write_text(json.dumps(data))
    (region,) = read_labelme([path])[0].regions
    assert (region.box, region.class_name, region.area) == ((10, 5, 30, 20), "dent", 300)


def test_labelme_opens_the_moved_folder(tmp_path: Path, sample: list[ImageLabels], class_names: list[str]) -> None:
    label_file = pytest.importorskip("labelme._label_file", reason="pip install '.[labeltools]'")
    write_labelme(sample, tmp_path / "labelme", class_names)
    moved = tmp_path / "moved"
    (tmp_path / "labelme").rename(moved)
    for stem, item in zip(("crack_000", "good_000"), sample, strict=True):
        loaded = label_file.LabelFile(str(moved / f"{stem}.json"))  # reads the image beside it, checks its size
        assert loaded.image_data
        groups: dict[int, dict[str, dict]] = {}
        for shape in loaded.shapes:
            groups.setdefault(shape["group_id"], {})[shape["shape_type"]] = shape
        assert len(groups) == len(item.regions)
        for region, group in zip(item.regions, groups.values(), strict=True):
            (xa, ya), (xb, yb) = group["rectangle"]["points"]
            assert (xa, ya, xb, yb) == region.box
            polygon = [tuple(p) for p in group["polygon"]["points"]]
            assert polygon == region.polygon and group["polygon"]["label"] == region.class_name

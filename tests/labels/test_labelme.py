"""LabelMe JSON round trip: polygon + rectangle per region, image path relative to the file."""

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from aoikit.labels import ImageLabels, read_labelme, write_labelme


def test_round_trip(
    tmp_path: Path, sample: list[ImageLabels], class_names: list[str], check_round_trip: Callable[..., None]
) -> None:
    sample = [replace(item, image_path=str(tmp_path / item.image_path)) for item in sample]
    paths = write_labelme(sample, tmp_path / "labelme", class_names)
    data = json.loads(paths[0].read_text())
    assert {"version", "shapes", "imagePath", "imageHeight", "imageWidth", "imageData", "flags"} <= data.keys()
    assert data["imagePath"] == "../data/crack/000.png"
    assert [s["shape_type"] for s in data["shapes"]] == ["polygon", "rectangle"] * 3
    assert data["shapes"][1]["points"] == [[8, 10], [30, 24]]
    read = read_labelme(paths)
    assert [item.image_path for item in read] == [item.image_path for item in sample]
    assert [r.score_max for r in read[0].regions] == pytest.approx([0.9, 0.7, 0.5])
    check_round_trip(sample, read, holes=False)


def test_rectangle_alone_is_a_box(tmp_path: Path) -> None:
    shape = {"label": "dent", "points": [[30, 20], [10, 5]], "shape_type": "rectangle", "group_id": None}
    data = {"version": "5.5.0", "shapes": [shape], "imagePath": "a.png", "imageHeight": 40, "imageWidth": 50}
    path = tmp_path / "a.json"
    path.write_text(json.dumps(data))
    (region,) = read_labelme([path])[0].regions
    assert (region.box, region.class_name, region.area) == ((10, 5, 30, 20), "dent", 300)

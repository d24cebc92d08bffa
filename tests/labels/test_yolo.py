"""YOLO detect and segment datasets: our reader, datumaro (detect) and Ultralytics' documented layout (both).

Ultralytics itself is not installed in tests (it pulls a CUDA build of torch), so the checks it makes
on a dataset are spelled out here: ``data.yaml`` resolved against its own folder when it has no
``path``, labels found by replacing ``/images/`` with ``/labels/``, and the label rules of its
``verify_image_label`` (normalised coordinates, known classes, polygons of three points or more).
"""

import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import yaml

from aoikit.labels import ImageLabels, read_yolo, write_yolo

pytestmark = pytest.mark.filterwarnings("ignore:FormatDetectionConfidence:DeprecationWarning")


def test_writes_both_tasks_with_names(tmp_path: Path, sample: list[ImageLabels], class_names: list[str]) -> None:
    written = write_yolo(sample, tmp_path, class_names)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        f"{task}/{name}"
        for task in ("detect", "segment")
        for name in (
            "labels/train/crack_000.txt",
            "labels/train/good_000.txt",
            "data.yaml",
            "images/train/crack_000.png",
            "images/train/good_000.tif",
        )
    ]
    data = yaml.safe_load((tmp_path / "detect" / "data.yaml").read_text())
    assert data == {"train": "images/train", "val": "images/train", "names": {0: "anomaly", 1: "scratch"}}
    first = (tmp_path / "detect" / "labels" / "train" / "crack_000.txt").read_text().splitlines()[0].split()
    assert first[0] == "1"  # the rectangle is a scratch
    assert [float(v) for v in first[1:]] == pytest.approx([19 / 128, 17 / 96, 22 / 128, 14 / 96], abs=1e-6)
    assert (tmp_path / "segment" / "labels" / "train" / "good_000.txt").read_text() == ""


@pytest.mark.parametrize("task", ["detect", "segment"])
def test_round_trip(
    tmp_path: Path, sample: list[ImageLabels], class_names: list[str], check_round_trip: Callable[..., None], task: str
) -> None:
    write_yolo(sample, tmp_path, class_names)
    read = read_yolo(tmp_path / task)
    assert [Path(item.image_path).name for item in read] == ["crack_000.png", "good_000.tif"]
    if task == "segment":
        check_round_trip(sample, read, holes=False)
    else:
        assert [[r.box for r in item.regions] for item in read] == [[r.box for r in item.regions] for item in sample]


@pytest.mark.parametrize("task", ["detect", "segment"])
def test_ultralytics_layout_and_label_rules(
    tmp_path: Path, sample: list[ImageLabels], class_names: list[str], task: str
) -> None:
    write_yolo(sample, tmp_path / "yolo", class_names)
    root = tmp_path / "moved"
    (tmp_path / "yolo" / task).rename(root)
    data = yaml.safe_load((root / "data.yaml").read_text())
    assert "path" not in data  # so the root is the YAML's folder, wherever it is run from
    images = sorted((root / data["train"]).iterdir())
    assert (root / data["val"]).is_dir() and [p.name for p in images] == ["crack_000.png", "good_000.tif"]
    by_stem = {}
    for image in images:
        label = Path(f"{os.sep}labels{os.sep}".join(str(image).rsplit(f"{os.sep}images{os.sep}", 1))).with_suffix(
            ".txt"
        )
        rows = [line.split() for line in label.read_text().splitlines() if line]
        is_segment = any(len(row) > 6 for row in rows)
        assert is_segment == (task == "segment") or not rows
        values = [[float(v) for v in row] for row in rows]
        assert all(0 <= v <= 1 for row in values for v in row[1:])
        assert all(int(row[0]) == row[0] < len(data["names"]) for row in values)
        assert len({tuple(row) for row in values}) == len(values)
        assert all(len(row) % 2 == 1 and len(row) >= 7 for row in values) if is_segment else True
        by_stem[image.stem] = values
    item = sample[0]
    for row, region in zip(by_stem["crack_000"], item.regions, strict=True):
        assert data["names"][int(row[0])] == region.class_name
        if task == "segment":
            points = np.round(np.reshape(row[1:], (-1, 2)) * [item.width, item.height]).astype(int)
            assert [tuple(p) for p in points.tolist()] == region.polygon
        else:
            cx, cy, w, h = (v * s for v, s in zip(row[1:], (item.width, item.height) * 2, strict=True))
            assert [round(v) for v in (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)] == list(region.box)


def test_datumaro_imports_the_detect_folder(
    tmp_path: Path,
    sample: list[ImageLabels],
    class_names: list[str],
    datumaro: ModuleType,
    check_datumaro: Callable[..., None],
) -> None:
    write_yolo(sample, tmp_path / "yolo", class_names)
    moved = tmp_path / "moved"
    (tmp_path / "yolo" / "detect").rename(moved)
    assert datumaro.Dataset.detect(str(moved)) == "yolo"
    dataset = datumaro.Dataset.import_from(str(moved), "yolo")
    assert {item.subset for item in dataset} == {"train"}
    check_datumaro(dataset, moved, sample, ["bbox"])

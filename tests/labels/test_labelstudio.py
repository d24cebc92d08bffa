"""Label Studio tasks: round trip, label-studio-sdk's validator, local-files URLs it serves, brush masks checked
with label-studio-converter's decoder."""

import json
import posixpath
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from PIL import Image

from aoikit.labels import ImageLabels, read_labelstudio, write_labelstudio
from aoikit.labels.brush import brush_decode, brush_encode
from aoikit.labels.labelstudio import prediction_scores


def test_tasks_sortable_by_score(tmp_path: Path, sample: list[ImageLabels], class_names: list[str]) -> None:
    tasks_path, config_path, *copies = write_labelstudio(sample, tmp_path, class_names)
    assert [p.relative_to(tmp_path).as_posix() for p in copies] == ["images/crack_000.png", "images/good_000.png"]
    tasks = json.loads(tasks_path.read_text())
    assert [t["data"]["image"] for t in tasks] == [f"/data/local-files/?d=images/{p.name}" for p in copies]
    assert [t["predictions"][0]["score"] for t in tasks] == [0.9, 0.0]
    results = tasks[0]["predictions"][0]["result"]
    assert [r["type"] for r in results] == ["rectanglelabels", "brushlabels"] * 3
    rect = results[0]
    value = dict(rect["value"])
    assert value.pop("rectanglelabels") == ["scratch"]
    assert value == pytest.approx(
        {"x": 800 / 128, "y": 1000 / 96, "width": 2200 / 128, "height": 1400 / 96, "rotation": 0}
    )
    assert (rect["score"], rect["original_width"], rect["original_height"]) == (0.9, 128, 96)
    assert results[1]["value"]["format"] == "rle"
    assert 'name="mask"' in config_path.read_text()


@pytest.mark.parametrize("kind", ["rectangle", "brush"])
def test_round_trip(
    tmp_path: Path,
    sample: list[ImageLabels],
    class_names: list[str],
    check_round_trip: Callable[..., None],
    kind: Literal["rectangle", "brush"],
) -> None:
    tasks_path, _, *copies = write_labelstudio(sample, tmp_path, class_names)
    read = read_labelstudio(tasks_path, kind=kind)
    assert [item.image_path for item in read] == [str(p) for p in copies]
    if kind == "brush":
        check_round_trip(sample, read, holes=True)
        assert all(np.array_equal(r.mask, w.mask) for r, w in zip(read[0].regions, sample[0].regions, strict=True))
    else:
        assert [[r.box for r in item.regions] for item in read] == [[r.box for r in item.regions] for item in sample]


def test_brush_rle_agrees_with_label_studio_converter() -> None:
    brush = pytest.importorskip("label_studio_converter.brush", reason="pip install '.[label]'")
    rng = np.random.default_rng(3)
    for mask in (rng.random((7, 9)) < 0.5, np.ones((300, 230), dtype=bool), np.zeros((4, 4), dtype=bool)):
        h, w = mask.shape
        ours = brush_encode(mask)
        assert np.array_equal(brush.decode_rle(ours).reshape(h, w, 4)[:, :, 3] > 0, mask)
        reference = brush.mask2rle(mask.astype(np.uint8) * 255)
        assert np.array_equal(brush_decode(reference, h, w), mask)


def test_written_masks_decode_with_label_studio_converter(
    tmp_path: Path, sample: list[ImageLabels], class_names: list[str]
) -> None:
    brush = pytest.importorskip("label_studio_converter.brush", reason="pip install '.[label]'")
    tasks_path, *_ = write_labelstudio(sample, tmp_path, class_names)
    results = json.loads(tasks_path.read_text())[0]["predictions"][0]["result"]
    item = sample[0]
    layers = brush.decode_from_annotation("mask", [{**r, "rle": r["value"]["rle"]} for r in results[1::2]])
    for layer, region in zip(layers.values(), item.regions, strict=True):
        assert np.array_equal(layer > 0, region.paste(item.height, item.width))


def test_label_studio_sdk_validates_config_and_predictions(
    tmp_path: Path, sample: list[ImageLabels], class_names: list[str]
) -> None:
    interface = pytest.importorskip("label_studio_sdk.label_interface", reason="pip install '.[labeltools]'")
    tasks_path, config_path, *_ = write_labelstudio(sample, tmp_path, class_names)
    config = interface.LabelInterface(config_path.read_text())
    tasks = json.loads(tasks_path.read_text())
    for task in tasks:
        assert config.validate_prediction(task["predictions"][0], return_errors=True) == []
        assert task["data"][config.get_object("image").value_name]
    assert len(tasks[0]["predictions"][0]["result"]) == 2 * len(sample[0].regions)


def test_scores_outside_0_1_are_mapped_for_label_studio(
    tmp_path: Path, sample: list[ImageLabels], class_names: list[str]
) -> None:
    interface = pytest.importorskip("label_studio_sdk.label_interface", reason="pip install '.[labeltools]'")
    assert prediction_scores([0.9, None, 0.2]) == [0.9, 0.0, 0.2]
    assert prediction_scores([3.0, None, 1.0, -1.0]) == [1.0, 0.0, 0.5, 0.0]
    loud = [replace(sample[0], regions=[replace(r, score_max=10 * r.score_max) for r in sample[0].regions])]
    tasks_path, config_path, *_ = write_labelstudio(loud, tmp_path, class_names)
    (task,) = json.loads(tasks_path.read_text())
    assert task["predictions"][0]["score"] == 1.0
    assert [r["score"] for r in task["predictions"][0]["result"]] == pytest.approx([9, 9, 7, 7, 5, 5])
    config = interface.LabelInterface(config_path.read_text())
    assert config.validate_prediction(task["predictions"][0], return_errors=True) == []


def test_local_files_urls_resolve_under_the_moved_folder(
    tmp_path: Path, sample: list[ImageLabels], class_names: list[str]
) -> None:
    """Label Studio serves ``/data/local-files/?d=P`` as DOCUMENT_ROOT/P (``d`` decoded once, normalised)."""
    odd = tmp_path / "data" / "crack" / "a b#1&c.png"
    Path(sample[0].image_path).rename(odd)
    sample = [replace(sample[0], image_path=str(odd)), sample[1]]
    write_labelstudio(sample, tmp_path / "labelstudio", class_names)
    root = tmp_path / "moved"
    (tmp_path / "labelstudio").rename(root)
    tasks = json.loads((root / "tasks.json").read_text())
    for task, item in zip(tasks, sample, strict=True):
        url = urlsplit(task["data"]["image"])
        assert url.path == "/data/local-files/"
        (d,) = parse_qs(url.query)["d"]
        served = root / posixpath.normpath(d).lstrip("/")
        assert served.parent == root / "images"
        with Image.open(served) as image:
            assert image.size == (item.width, item.height) and image.format == "PNG"
    assert [Path(item.image_path).name for item in read_labelstudio(root / "tasks.json")] == ["a b#1&c.png", "000.png"]

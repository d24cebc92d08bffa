"""Label Studio predictions round trip; brush masks checked with label-studio-converter's decoder."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import pytest

from aoikit.labels import ImageLabels, read_labelstudio, write_labelstudio
from aoikit.labels.brush import brush_decode, brush_encode


def test_tasks_sortable_by_score(tmp_path: Path, sample: list[ImageLabels], class_names: list[str]) -> None:
    tasks_path, config_path = write_labelstudio(sample, tmp_path, class_names)
    tasks = json.loads(tasks_path.read_text())
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
    tasks_path, _ = write_labelstudio(sample, tmp_path, class_names)
    read = read_labelstudio(tasks_path, kind=kind)
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
    tasks_path, _ = write_labelstudio(sample, tmp_path, class_names)
    results = json.loads(tasks_path.read_text())[0]["predictions"][0]["result"]
    item = sample[0]
    layers = brush.decode_from_annotation("mask", [{**r, "rle": r["value"]["rle"]} for r in results[1::2]])
    for layer, region in zip(layers.values(), item.regions, strict=True):
        assert np.array_equal(layer > 0, region.paste(item.height, item.width))

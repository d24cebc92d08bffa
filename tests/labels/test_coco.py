"""COCO round trips through our reader and through pycocotools, the reference reader."""

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from aoikit.labels import ImageLabels, read_coco, write_coco
from aoikit.labels.coco import rle_decode, rle_encode
from aoikit.labels.geometry import rasterize

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # pycocotools + NumPy 2


def pycocotools(module: str) -> ModuleType:
    return pytest.importorskip(f"pycocotools.{module}", reason="pip install '.[label]'")


@pytest.mark.parametrize("rle", [False, True], ids=["polygon", "rle"])
def test_round_trip(
    tmp_path: Path, sample: list[ImageLabels], class_names: list[str], check_round_trip: Callable[..., None], rle: bool
) -> None:
    (path,) = write_coco(sample, tmp_path, class_names, rle=rle)
    assert path.name == ("annotations_rle.json" if rle else "annotations.json")
    read = read_coco(path)
    check_round_trip(sample, read, holes=rle)
    assert [r.score_max for r in read[0].regions] == pytest.approx([0.9, 0.7, 0.5])


@pytest.mark.parametrize("rle", [False, True], ids=["polygon", "rle"])
def test_pycocotools_reads_what_we_write(
    tmp_path: Path, sample: list[ImageLabels], class_names: list[str], rle: bool
) -> None:
    (path,) = write_coco(sample, tmp_path, class_names, rle=rle)
    coco = pycocotools("coco").COCO(str(path))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == class_names
    assert coco.getAnnIds(imgIds=[2]) == []
    item = sample[0]
    anns = coco.loadAnns(coco.getAnnIds(imgIds=[1]))
    for ann, region in zip(anns, item.regions, strict=True):
        x0, y0, x1, y1 = region.box
        assert ann["bbox"] == [x0, y0, x1 - x0, y1 - y0]
        expected = (
            region.paste(item.height, item.width) if rle else rasterize(region.polygon, [], item.height, item.width)
        )
        assert np.array_equal(coco.annToMask(ann) > 0, expected)


def test_rle_round_trip_starts_with_background() -> None:
    mask = np.random.default_rng(0).random((13, 17)) < 0.4
    mask[0, 0] = True
    rle = rle_encode(mask)
    assert rle["size"] == [13, 17] and rle["counts"][0] == 0
    assert sum(rle["counts"]) == mask.size
    assert np.array_equal(rle_decode(rle), mask)


def test_rle_matches_pycocotools_both_ways() -> None:
    coco_mask = pycocotools("mask")
    mask = np.random.default_rng(1).random((13, 17)) < 0.4
    decoded = coco_mask.decode(coco_mask.frPyObjects(rle_encode(mask), 13, 17)) > 0
    assert np.array_equal(decoded, mask)
    compressed = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    assert np.array_equal(rle_decode({"size": [13, 17], "counts": compressed["counts"].decode()}), mask)

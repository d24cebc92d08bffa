"""COCO datasets round trip through our reader, pycocotools (loadRes included) and datumaro."""

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from aoikit.labels import ImageLabels, read_coco, write_coco
from aoikit.labels.coco import ANNOTATIONS, rle_counts, rle_decode, rle_encode
from aoikit.labels.geometry import rasterize

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # pycocotools + NumPy 2


def pycocotools(module: str) -> ModuleType:
    return pytest.importorskip(f"pycocotools.{module}", reason="pip install '.[label]'")


@pytest.mark.parametrize("rle", [False, True], ids=["polygon", "rle"])
def test_round_trip_in_the_datumaro_layout(
    tmp_path: Path, sample: list[ImageLabels], class_names: list[str], check_round_trip: Callable[..., None], rle: bool
) -> None:
    out = tmp_path / "coco"
    written = write_coco(sample, out, class_names, rle=rle)
    assert [p.relative_to(out).as_posix() for p in written] == [
        ANNOTATIONS,
        "images/crack_000.png",
        "images/good_000.tif",
    ]
    data = json.loads(written[0].read_text())
    assert [im["file_name"] for im in data["images"]] == ["crack_000.png", "good_000.tif"]
    read = read_coco(written[0])
    assert [item.image_path for item in read] == [str(p) for p in written[1:]]
    check_round_trip(sample, read, holes=rle)
    assert [r.score_max for r in read[0].regions] == pytest.approx([0.9, 0.7, 0.5])


@pytest.mark.parametrize("rle", [False, True], ids=["polygon", "rle"])
def test_pycocotools_reads_and_loads_as_results(
    tmp_path: Path, sample: list[ImageLabels], class_names: list[str], rle: bool
) -> None:
    path = write_coco(sample, tmp_path, class_names, rle=rle)[0]
    coco = pycocotools("coco").COCO(str(path))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == class_names
    assert coco.getAnnIds(imgIds=[2]) == []
    # As a results file; RLE without bbox, so loadRes takes area and box from the mask (polygons it takes
    # only with a bbox).
    keys = (
        ("image_id", "category_id", "segmentation", "score")
        if rle
        else ("image_id", "category_id", "segmentation", "score", "bbox")
    )
    results = [{k: ann[k] for k in keys} for ann in coco.dataset["annotations"]]
    loaded = coco.loadRes(results)
    item, anns = sample[0], coco.loadAnns(coco.getAnnIds(imgIds=[1]))
    for ann, res, region in zip(anns, loaded.dataset["annotations"], item.regions, strict=True):
        x0, y0, x1, y1 = region.box
        assert ann["bbox"] == [x0, y0, x1 - x0, y1 - y0]
        full = region.paste(item.height, item.width)
        expected = full if rle else rasterize(region.polygon, [], item.height, item.width)
        assert np.array_equal(coco.annToMask(ann) > 0, expected)
        assert np.array_equal(loaded.annToMask(res) > 0, expected)
        assert res["bbox"] == pytest.approx([x0, y0, x1 - x0, y1 - y0])
        if rle:
            assert res["area"] == region.area


@pytest.mark.parametrize("rle", [False, True], ids=["polygon", "rle"])
def test_datumaro_imports_the_folder(
    tmp_path: Path,
    sample: list[ImageLabels],
    class_names: list[str],
    datumaro: ModuleType,
    check_datumaro: Callable[..., None],
    rle: bool,
) -> None:
    out = tmp_path / "coco"
    write_coco(sample, out, class_names, rle=rle)
    moved = tmp_path / "moved"
    out.rename(moved)  # nothing points outside the folder
    assert datumaro.Dataset.detect(str(moved)) == "coco_instances"
    dataset = datumaro.Dataset.import_from(str(moved), "coco_instances")
    check_datumaro(dataset, moved, sample, ["mask" if rle else "polygon", "bbox"])


def test_rle_counts_start_with_background() -> None:
    mask = np.random.default_rng(0).random((13, 17)) < 0.4
    mask[0, 0] = True
    counts = rle_counts(mask)
    assert counts[0] == 0 and sum(counts) == mask.size
    assert np.array_equal(rle_decode({"size": [13, 17], "counts": counts}), mask)
    assert np.array_equal(rle_decode(rle_encode(mask)), mask)


def test_rle_matches_pycocotools_both_ways() -> None:
    coco_mask = pycocotools("mask")
    rng = np.random.default_rng(1)
    for mask in (rng.random((13, 17)) < 0.4, np.ones((300, 230), dtype=bool), np.zeros((4, 4), dtype=bool)):
        h, w = mask.shape
        compressed = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
        assert rle_encode(mask) == {"size": [h, w], "counts": compressed["counts"].decode()}
        assert np.array_equal(coco_mask.decode(coco_mask.frPyObjects(rle_counts_dict(mask), h, w)) > 0, mask)


def rle_counts_dict(mask: np.ndarray) -> dict[str, object]:
    return {"size": list(mask.shape), "counts": rle_counts(mask)}

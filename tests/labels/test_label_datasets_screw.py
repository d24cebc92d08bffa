"""Pre-labels of MVTec AD screw scratch_head (24 images), every format opened, moved, with the tools' own readers.

The ground-truth masks stand in for anomaly maps, so the regions written are the ground-truth regions and
every reader must give them back: boxes to 0 px, polygons point for point, masks pixel for pixel.
"""

import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from aoikit.data.image_io import read_mask
from aoikit.labels import WRITERS, ImageLabels, RegionConfig, extract_regions, prelabel, read_yolo
from aoikit.labels.coco import ANNOTATIONS

pytestmark = [
    pytest.mark.data,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:FormatDetectionConfidence:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning"),
]
CONFIG = RegionConfig(threshold=0.5, open_radius=0, close_radius=0, min_area=1)


class MaskMaps:
    """Gives the ground-truth masks, in order, as anomaly maps."""

    threshold_ = CONFIG.threshold

    def __init__(self, masks: list[np.ndarray]) -> None:
        self._masks: Iterator[np.ndarray] = iter(masks)

    def anomaly_map(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return next(self._masks).astype(np.float32), image


@functools.cache
def prelabelled(root: Path, tmp: Path) -> tuple[Path, list[ImageLabels]]:
    """``(moved pre-label folder, expected labels)`` of screw test/scratch_head, written once per session."""
    paths = sorted((root / "test" / "scratch_head").glob("*.png"))
    masks = [read_mask(root / "ground_truth" / "scratch_head" / f"{p.stem}_mask.png", (512, 512)) for p in paths]
    out = tmp / "labels"
    prelabel(MaskMaps(masks), paths, out, list(WRITERS), CONFIG)
    moved = tmp / "moved"
    out.rename(moved)
    maps = [m.astype(np.float32) for m in masks]
    return moved, [ImageLabels(p.stem, 512, 512, extract_regions(m, CONFIG)) for p, m in zip(paths, maps, strict=True)]


@pytest.fixture
def screw_labels(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ImageLabels]]:
    """The pre-labels of screw test/scratch_head, moved to another folder; image paths of the expected are stems."""
    return prelabelled(shared_data / "mvtec_ad" / "screw", tmp_path_factory.getbasetemp() / "screw_scratch_head")


def test_regions_written(screw_labels: tuple[Path, list[ImageLabels]]) -> None:
    moved, expected = screw_labels
    assert len(expected) == 24 and all(item.regions for item in expected)
    yolo = read_yolo(moved / "yolo" / "segment")
    assert [len(item.regions) for item in yolo] == [len(item.regions) for item in expected]


@pytest.mark.parametrize(
    ("folder", "fmt", "options", "kinds"),
    [
        ("coco", "coco_instances", {}, ["polygon", "bbox"]),
        ("coco_rle", "coco_instances", {}, ["mask", "bbox"]),
        ("voc", "voc_detection", {"coordinate_mode": "voc-one-based"}, ["bbox"]),
        ("yolo/detect", "yolo", {}, ["bbox"]),
        ("cvat", "cvat", {}, ["bbox", "polygon"]),
    ],
)
def test_datumaro_opens_each_folder(
    screw_labels: tuple[Path, list[ImageLabels]],
    datumaro: ModuleType,
    check_datumaro: Callable[..., None],
    folder: str,
    fmt: str,
    options: dict,
    kinds: list[str],
) -> None:
    moved, expected = screw_labels
    dataset = datumaro.Dataset.import_from(str(moved / folder), fmt, **options)
    expected = [ImageLabels(f"{item.image_path}.png", 512, 512, item.regions) for item in expected]
    check_datumaro(dataset, moved / folder, expected, kinds)


def test_pycocotools_loads_the_masks_as_results(screw_labels: tuple[Path, list[ImageLabels]]) -> None:
    coco_module = pytest.importorskip("pycocotools.coco", reason="pip install '.[label]'")
    moved, expected = screw_labels
    coco = coco_module.COCO(str(moved / "coco_rle" / ANNOTATIONS))
    results = [
        {k: a[k] for k in ("image_id", "category_id", "segmentation", "score")} for a in coco.dataset["annotations"]
    ]
    loaded = coco.loadRes(results)
    masks = [loaded.annToMask(a) > 0 for a in loaded.dataset["annotations"]]
    assert len(masks) == sum(len(item.regions) for item in expected)
    want = [r.paste(512, 512) for item in expected for r in item.regions]
    assert all(np.array_equal(m, w) for m, w in zip(masks, want, strict=True))


def test_labelme_and_label_studio_open_their_folders(screw_labels: tuple[Path, list[ImageLabels]]) -> None:
    label_file = pytest.importorskip("labelme._label_file", reason="pip install '.[labeltools]'")
    interface = pytest.importorskip("label_studio_sdk.label_interface", reason="pip install '.[labeltools]'")
    moved, expected = screw_labels
    for item in expected:
        loaded = label_file.LabelFile(str(moved / "labelme" / f"{item.image_path}.json"))
        polygons = [s["points"] for s in loaded.shapes if s["shape_type"] == "polygon"]
        assert polygons == [[list(p) for p in r.polygon] for r in item.regions]
    config = interface.LabelInterface((moved / "labelstudio" / "label_config.xml").read_text())
    tasks = json.loads((moved / "labelstudio" / "tasks.json").read_text())
    assert all(config.validate_prediction(t["predictions"][0], return_errors=True) == [] for t in tasks)
    images = [moved / "labelstudio" / t["data"]["image"].removeprefix("/data/local-files/?d=") for t in tasks]
    assert all(p.is_file() for p in images) and len(images) == 24

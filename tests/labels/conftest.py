"""Labels of known shapes for the format round trips (a rectangle, a disc, an L-shape with a hole), their images,
and the tools' own readers (skipped when not installed)."""

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from PIL import Image

from aoikit.data.naming import unique_stems
from aoikit.labels import ImageLabels, Region
from aoikit.labels.geometry import rasterize

HEIGHT, WIDTH = 96, 128
CLASS_NAMES = ["anomaly", "scratch"]
RoundTrip = Callable[..., None]


def shape_masks() -> dict[str, np.ndarray]:
    """Bool H×W masks of the three test shapes."""
    rect = np.zeros((HEIGHT, WIDTH), dtype=bool)
    rect[10:24, 8:30] = True
    yy, xx = np.mgrid[:HEIGHT, :WIDTH]
    disc = (xx - 70) ** 2 + (yy - 30) ** 2 <= 12**2
    ell = np.zeros((HEIGHT, WIDTH), dtype=bool)
    ell[50:90, 15:35] = True
    ell[72:90, 15:75] = True
    ell[58:66, 21:29] = False  # the hole
    return {"rect": rect, "disc": disc, "ell": ell}


@pytest.fixture
def class_names() -> list[str]:
    """Class names of the sample, by class index."""
    return list(CLASS_NAMES)


@pytest.fixture
def sample(tmp_path: Path) -> list[ImageLabels]:
    """Two images sharing a stem in different folders of ``tmp_path/data``: one with three regions, one without.

    The first is an 8-bit grey PNG, the second a 16-bit grey TIFF (kept by most tools, PNG for browsers).
    """
    rng = np.random.default_rng(0)
    paths = [tmp_path / "data" / "crack" / "000.png", tmp_path / "data" / "good" / "000.tif"]
    for path, dtype in zip(paths, (np.uint8, np.uint16), strict=True):
        path.parent.mkdir(parents=True)
        Image.fromarray(rng.integers(0, np.iinfo(dtype).max, (HEIGHT, WIDTH), dtype=dtype)).save(path)
    masks = shape_masks()
    regions = [
        Region.from_mask(masks["rect"], "scratch", 0.9),
        Region.from_mask(masks["disc"], "anomaly", 0.7),
        Region.from_mask(masks["ell"], "anomaly", 0.5),
    ]
    return [ImageLabels(str(paths[0]), WIDTH, HEIGHT, regions), ImageLabels(str(paths[1]), WIDTH, HEIGHT, [])]


@pytest.fixture
def datumaro() -> ModuleType:
    """The datumaro package (the reader CVAT uses for COCO, VOC, YOLO and its own XML)."""
    return pytest.importorskip("datumaro", reason="pip install '.[labeltools]'")


@pytest.fixture
def check_datumaro() -> Callable[..., None]:
    """Assert a datumaro dataset holds the written labels, its images found inside ``root``.

    ``kinds`` names the annotation types to compare: ``bbox`` (exact box), ``polygon`` (the outline's
    very points) or ``mask`` (every pixel). Annotations and regions are paired in order of their boxes
    (readers may reverse the file order; the sample's boxes differ).
    """

    def check(dataset: Any, root: Path, written: list[ImageLabels], kinds: list[str]) -> None:
        from datumaro.components.annotation import AnnotationType

        labels = dataset.categories()[AnnotationType.label]
        items = {item.id: item for item in dataset}
        stems = unique_stems([item.image_path for item in written])
        assert sorted(items) == sorted(stems)
        for stem, want in zip(stems, written, strict=True):
            item = items[stem]
            assert Path(item.media.path).resolve().is_relative_to(root.resolve())
            assert item.media.size == (want.height, want.width)
            regions = sorted(want.regions, key=lambda r: r.box)
            for kind in kinds:
                anns = sorted((a for a in item.annotations if a.type.name == kind), key=_corners)
                assert [_corners(a) for a in anns] == [r.box for r in regions], (stem, kind)
                assert [labels[a.label].name for a in anns] == [r.class_name for r in regions], (stem, kind)
                for ann, region in zip(anns, regions, strict=True):
                    if kind == "polygon":
                        assert ann.points == [v for point in region.polygon for v in point]
                    if kind == "mask":
                        assert np.array_equal(ann.image > 0, region.paste(want.height, want.width))

    return check


def _corners(annotation: Any) -> tuple[float, float, float, float]:
    x, y, w, h = annotation.get_bbox()
    return x, y, x + w, y + h


@pytest.fixture
def check_round_trip() -> RoundTrip:
    """Assert read-back labels equal the written ones: same sizes, classes, boxes and pixels.

    Boxes within 1 px and mask IoU ≥ 0.95 would do; outlines along pixel edges make round trips
    exact, so exactness is what is checked. Formats without holes are compared with the outer
    outline filled.
    """

    def check(written: list[ImageLabels], read: list[ImageLabels], holes: bool) -> None:
        assert [(r.width, r.height) for r in read] == [(w.width, w.height) for w in written]
        for i, (want, got) in enumerate(zip(written, read, strict=True)):
            assert [(r.class_name, r.box) for r in got.regions] == [(r.class_name, r.box) for r in want.regions]
            for j, (w, g) in enumerate(zip(want.regions, got.regions, strict=True)):
                expected = w.paste(HEIGHT, WIDTH) if holes else rasterize(w.polygon, [], HEIGHT, WIDTH)
                assert np.array_equal(g.paste(HEIGHT, WIDTH), expected), f"image {i}, region {j}"

    return check

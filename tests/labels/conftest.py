"""Labels of known shapes for the format round trips: a rectangle, a disc, an L-shape with a hole."""

from collections.abc import Callable

import numpy as np
import pytest

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
def sample() -> list[ImageLabels]:
    """Two images sharing a file name in different folders: one with three regions, one without."""
    masks = shape_masks()
    regions = [
        Region.from_mask(masks["rect"], "scratch", 0.9),
        Region.from_mask(masks["disc"], "anomaly", 0.7),
        Region.from_mask(masks["ell"], "anomaly", 0.5),
    ]
    return [
        ImageLabels("data/crack/000.png", WIDTH, HEIGHT, regions),
        ImageLabels("data/good/000.png", WIDTH, HEIGHT, []),
    ]


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

"""SSIMAEDetector with parts aligned to one pose and residuals scored against good parts at the same position."""

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from aoikit.errors import AoikitError
from aoikit.models import create_model
from aoikit.models.ssim_ae.detector import SSIMAEDetector, SSIMAEDetectorConfig

CONFIG = SSIMAEDetectorConfig(
    model="flat", image_size=160, patch_size=32, stride=16, window=7, map_sigma=2.0, align=True, position_norm=True
)


def _with_hole(image: np.ndarray, angle: float, along: float) -> tuple[np.ndarray, np.ndarray]:
    """The part with a bright hole in its shaft ``along`` pixels from the centre, and the hole's (x, y)."""
    turn = cv2.getRotationMatrix2D((80, 80), angle, 1.0)
    centre = turn @ np.array([80.0 + along, 80.0, 1.0])
    holed = image.copy()
    cv2.circle(holed, (round(float(centre[0])), round(float(centre[1]))), 4, 0.8, -1)
    return holed, centre


@pytest.fixture(scope="module")
def goods(screw: Callable[..., np.ndarray]) -> list[np.ndarray]:
    angles = np.random.default_rng(0).uniform(0, 360, 16)
    return [screw(float(a), seed=i) for i, a in enumerate(angles)]


@pytest.fixture(scope="module")
def detector(goods: list[np.ndarray]) -> SSIMAEDetector:
    return SSIMAEDetector.from_model(create_model("flat"), CONFIG).fit_position(goods[:10]).calibrate(goods[10:])


def test_a_hole_stands_out_where_good_parts_always_differ_from_their_reconstruction(
    detector: SSIMAEDetector, goods: list[np.ndarray], screw: Callable[..., np.ndarray]
) -> None:
    holed, centre = _with_hole(screw(125.0, seed=99), 125.0, -20.0)
    amap = detector.anomaly_map(holed)[0]
    y, x = np.unravel_index(np.argmax(amap), amap.shape)
    assert np.hypot(x - centre[0], y - centre[1]) < 6
    scores = detector.score([*goods[10:], holed])
    assert scores[-1] > scores[:-1].max()


def test_position_statistics_survive_save_and_load(
    detector: SSIMAEDetector, goods: list[np.ndarray], tmp_path: Path
) -> None:
    detector.save(tmp_path / "model")
    loaded = SSIMAEDetector.load(tmp_path / "model")
    assert loaded.position_.floor == detector.position_.floor
    np.testing.assert_array_equal(loaded.anomaly_map(goods[0])[0], detector.anomaly_map(goods[0])[0])


def test_position_norm_without_alignment_or_statistics_says_so(detector: SSIMAEDetector) -> None:
    with pytest.raises(AoikitError, match="needs align"):
        replace(CONFIG, align=False)
    fresh = SSIMAEDetector.from_model(detector.model_, CONFIG)
    with pytest.raises(AoikitError, match="fit_position"):
        fresh.anomaly_map(np.zeros((160, 160), np.float32))
    with pytest.raises(AoikitError, match="window 7, not 11"):
        detector.analyse(np.zeros((160, 160), np.float32), [11])

import numpy as np
import pytest
from scipy import ndimage

from aoikit.metrics import BinnedPRO, aupro, aupro_exact, binned_pro, pro_curve


def hand_case() -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Two images, two regions, 20 defect-free pixels.

    Image 1 (4×4): region A = the top-left 2×2 block scoring 3, 3, 1, 1; two good pixels score 2, ten score 0.
    Image 2 (2×5): region B = the last column (2 pixels) scoring 2, 2; six good pixels score 1, two score 0.
    """
    mask_a = np.zeros((4, 4), bool)
    mask_a[:2, :2] = True
    map_a = np.zeros((4, 4))
    map_a[0, :2], map_a[1, :2], map_a[3, :2] = 3, 1, 2
    mask_b = np.zeros((2, 5), bool)
    mask_b[:, 4] = True
    map_b = np.zeros((2, 5))
    map_b[:, 4], map_b[:, :3] = 2, 1
    return [map_a, map_b], [mask_a, mask_b]


def test_hand_computed_aupro() -> None:
    # Threshold 3: PRO = (2/4 + 0/2) / 2 = 0.25, FPR = 0/20.
    # Threshold 2: PRO = (2/4 + 2/2) / 2 = 0.75, FPR = 2/20 = 0.1.
    # Threshold 1: PRO = (4/4 + 2/2) / 2 = 1.0,  FPR = 8/20 = 0.4.
    # Curve (0,0) (0,0.25) (0.1,0.75) (0.4,1) (1,1); at FPR 0.3: PRO = 0.75 + (0.2/0.3)·0.25 = 11/12.
    # Area to 0.3 = 0.1·(0.25 + 0.75)/2 + 0.2·(0.75 + 11/12)/2 = 0.05 + 1/6 = 13/60; / 0.3 = 13/18.
    maps, masks = hand_case()
    fpr, pro, thresholds = pro_curve(maps, masks, bins=4, score_range=(0.0, 4.0))  # bin edges 0, 1, 2, 3
    np.testing.assert_allclose(fpr, [0, 0, 0.1, 0.4, 1])
    np.testing.assert_allclose(pro, [0, 0.25, 0.75, 1, 1])
    np.testing.assert_array_equal(thresholds, [np.inf, 3, 2, 1, 0])
    assert aupro(maps, masks) == pytest.approx(13 / 18)
    assert aupro_exact(maps, masks) == pytest.approx(13 / 18)


@pytest.fixture
def smooth_maps() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    seeds = rng.random((5, 48, 48)) < 0.01
    masks = ndimage.binary_dilation(seeds, iterations=3, axes=(1, 2))
    maps = ndimage.gaussian_filter(masks + rng.normal(size=masks.shape), (0, 2, 2))
    return maps, masks


def test_perfect_and_inverted_maps(smooth_maps: tuple[np.ndarray, np.ndarray]) -> None:
    _, masks = smooth_maps
    assert aupro(masks.astype(float), masks) == pytest.approx(1.0)
    assert aupro(1.0 - masks, masks) == pytest.approx(0.0, abs=1e-12)


def test_binned_close_to_exact_and_additive(smooth_maps: tuple[np.ndarray, np.ndarray]) -> None:
    maps, masks = smooth_maps
    assert abs(aupro(maps, masks) - aupro_exact(maps, masks)) < 1e-3
    score_range = (float(maps.min()), float(maps.max()))
    whole = binned_pro(maps, masks, bins=300)
    parts = binned_pro(maps[:2], masks[:2], 300, score_range) + binned_pro(maps[2:], masks[2:], 300, score_range)
    assert parts.regions == whole.regions
    assert parts.aupro() == pytest.approx(whole.aupro())
    assert parts.pixels.auroc() == pytest.approx(whole.pixels.auroc())


def test_regions_use_eight_connectivity_and_need_a_region() -> None:
    mask = np.eye(4, dtype=bool)
    accumulator = BinnedPRO((0.0, 1.0), 10).update(np.eye(4), mask)
    assert accumulator.regions == 1
    with pytest.raises(ValueError, match="region"):
        BinnedPRO((0.0, 1.0), 10).update(np.eye(4), np.zeros((4, 4))).curve()

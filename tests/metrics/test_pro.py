import numpy as np
import pytest
from scipy import ndimage

from aoikit.metrics import BinnedPRO, _binning, aupro, aupro_exact, binned_pro, plan_bins, pro_curve


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
    fpr, pro, thresholds = pro_curve(maps, masks)
    np.testing.assert_allclose(fpr, [0, 0, 0.1, 0.4, 1])
    np.testing.assert_allclose(pro, [0, 0.25, 0.75, 1, 1])
    np.testing.assert_array_equal(thresholds, [np.inf, 3, 2, 1, 0])
    assert aupro(maps, masks) == pytest.approx(13 / 18)
    assert aupro_exact(maps, masks) == pytest.approx(13 / 18)


@pytest.fixture
def smooth_maps() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    seeds = rng.random((6, 96, 96)) < 0.004
    masks = ndimage.binary_dilation(seeds, iterations=3, axes=(1, 2))
    maps = ndimage.gaussian_filter(masks + rng.normal(size=masks.shape), (0, 2, 2))
    return (maps / maps.std()).astype(np.float32), masks  # standard scores


def test_perfect_and_inverted_maps(smooth_maps: tuple[np.ndarray, np.ndarray]) -> None:
    _, masks = smooth_maps
    assert aupro(masks.astype(float), masks) == pytest.approx(1.0)
    assert aupro(1.0 - masks, masks) == pytest.approx(0.0, abs=1e-12)


TRANSFORMS = {
    "identity": lambda x: x,
    "exp(6x)": lambda x: np.exp(6.0 * x),
    "x**3": lambda x: x**3,
    "log": lambda x: np.log(x + 10.0),
}


@pytest.mark.parametrize("name", TRANSFORMS)
def test_heavy_tailed_maps_match_exact_aupro(name: str, smooth_maps: tuple[np.ndarray, np.ndarray]) -> None:
    maps, masks = smooth_maps
    assert ndimage.label(masks[0], np.ones((3, 3)))[1] > 1  # several regions per image
    exact = aupro_exact(maps, masks)
    transformed = TRANSFORMS[name](maps.astype(np.float64)).astype(np.float32)
    # The reference sees only the order (rounding the transform to float32 merges a few scores).
    assert aupro_exact(transformed, masks) == pytest.approx(exact, abs=1e-6)
    assert aupro(transformed, masks) == pytest.approx(exact, abs=1e-4)
    assert aupro(transformed, masks, max_fpr=0.05) == pytest.approx(aupro_exact(maps, masks, 0.05), abs=1e-4)


def test_sparse_sample_still_finds_where_labels_meet(
    smooth_maps: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    maps, masks = smooth_maps
    monkeypatch.setattr(_binning, "SAMPLE", 2048)  # 1 pixel in 27, about 180 of them defects: as on 1e8 pixels
    accumulator = binned_pro(maps, masks)
    assert accumulator.pixels.tie_bound() < 1e-4
    assert accumulator.aupro() == pytest.approx(aupro_exact(maps, masks), abs=1e-5)


def test_parts_add_up_with_shared_bins(smooth_maps: tuple[np.ndarray, np.ndarray]) -> None:
    maps, masks = smooth_maps
    binning = plan_bins(maps, masks, bins=300)
    whole = binned_pro(maps, masks, binning)
    parts = binned_pro(maps[:2], masks[:2], binning) + binned_pro(maps[2:], masks[2:], binning)
    assert parts.regions == whole.regions
    np.testing.assert_allclose(parts.overlap, whole.overlap)
    assert parts.aupro() == pytest.approx(whole.aupro())
    assert parts.pixels.auroc() == pytest.approx(whole.pixels.auroc())


def test_regions_use_eight_connectivity_and_need_a_region() -> None:
    mask = np.eye(4, dtype=bool)
    binning = plan_bins(np.eye(4), mask)
    accumulator = BinnedPRO(binning).update(np.eye(4), mask)
    assert accumulator.regions == 1
    with pytest.raises(ValueError, match="region"):
        BinnedPRO(binning).update(np.eye(4), np.zeros((4, 4))).curve()

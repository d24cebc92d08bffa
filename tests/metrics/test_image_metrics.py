import numpy as np
import pytest
from scipy import ndimage
from sklearn.metrics import roc_auc_score

from aoikit.metrics import (
    area_scores,
    aupro,
    image_auroc,
    image_scores_from_maps,
    per_type_metrics,
    pixel_auroc,
    plan_bins,
)


@pytest.fixture
def dataset() -> dict[str, np.ndarray]:
    """Eight good images and two defect types of three images each, 40×40."""
    rng = np.random.default_rng(5)
    labels = np.array([0] * 8 + [1] * 6)
    types = np.array(["good"] * 8 + ["crack"] * 3 + ["stain"] * 3)
    masks = np.zeros((14, 40, 40), bool)
    for i in range(8, 14):
        row, col = rng.integers(5, 30, 2)
        masks[i, row : row + 6, col : col + 4 + 4 * (types[i] == "stain")] = True
    maps = ndimage.gaussian_filter(masks + 0.7 * rng.normal(size=masks.shape), (0, 1.5, 1.5))
    return {"maps": maps, "masks": masks, "labels": labels, "types": types}


def test_image_scores_smoothed_max_and_top_k_mean() -> None:
    rng = np.random.default_rng(6)
    maps = rng.random((3, 30, 30))
    np.testing.assert_array_equal(image_scores_from_maps(maps, sigma=0), maps.max(axis=(1, 2)))
    expected = [ndimage.gaussian_filter(m, 4.0, mode="reflect").max() for m in maps]
    np.testing.assert_allclose(image_scores_from_maps(list(maps)), expected, rtol=1e-6)
    top = np.sort(maps.reshape(3, -1), axis=1)[:, -9:].mean(axis=1)  # 1% of 900 pixels
    np.testing.assert_allclose(image_scores_from_maps(maps, sigma=0, reduce="topk", top_k=0.01), top)
    with pytest.raises(ValueError, match="reduce"):
        image_scores_from_maps(maps, reduce="median")  # type: ignore[arg-type]


def test_area_scores_count_pixels_above_the_threshold() -> None:
    maps = np.zeros((2, 10, 10), np.float32)
    maps[1, :3, :5] = 0.9
    maps[1, 5, 5] = 0.5  # exactly at the threshold: not counted
    np.testing.assert_array_equal(area_scores(maps, 0.5), [0.0, 0.15])


def test_area_score_finds_a_large_faint_defect_that_max_misses() -> None:
    rng = np.random.default_rng(7)
    good = [rng.random((40, 40)) * 0.5 for _ in range(6)]
    for m in good:
        m[rng.integers(40), rng.integers(40)] = 1.0  # one hot pixel each: the max cannot tell them apart
    bad = [rng.random((40, 40)) * 0.5 + np.pad(np.full((12, 12), 0.3), 14) for _ in range(6)]
    labels = np.r_[np.zeros(6), np.ones(6)]
    threshold = float(np.quantile(np.stack(good), 0.99))
    assert image_auroc(area_scores(good + bad, threshold), labels) == 1.0
    assert image_auroc(image_scores_from_maps(good + bad, sigma=0), labels) < 0.5


def test_image_auroc_matches_sklearn() -> None:
    scores, labels = np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])
    assert image_auroc(scores, labels) == roc_auc_score(labels, scores) == 0.75


def test_per_type_metrics_use_type_images_plus_all_good(dataset: dict[str, np.ndarray]) -> None:
    maps, masks, labels, types = dataset["maps"], dataset["masks"], dataset["labels"], dataset["types"]
    results = per_type_metrics(maps, masks, labels, list(types))
    assert list(results) == ["crack", "stain", "overall"]
    binning = plan_bins(maps, masks)  # per_type_metrics plans once over all images
    image_scores = image_scores_from_maps(maps)
    for name, selected in [("crack", types != "stain"), ("stain", types != "crack"), ("overall", types != "")]:
        metrics = results[name]
        assert metrics["images"] == selected.sum()
        sub_maps, sub_masks = maps[selected], masks[selected]
        assert metrics["pixel_auroc"] == pytest.approx(pixel_auroc(sub_maps, sub_masks, binning))
        assert metrics["aupro"] == pytest.approx(aupro(sub_maps, sub_masks, bins=binning))
        assert metrics["image_auroc"] == pytest.approx(image_auroc(image_scores[selected], labels[selected]))
    assert results["overall"]["pixel_auroc"] > 0.9

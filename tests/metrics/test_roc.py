import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from aoikit.metrics import BinnedROC, _binning, binned_roc, pixel_auroc, pixel_roc


@pytest.fixture
def continuous() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    masks = rng.random((6, 40, 50)) < 0.1
    return rng.normal(size=masks.shape) + 1.2 * masks, masks


def test_continuous_scores_close_to_sklearn_within_tie_bound(continuous: tuple[np.ndarray, np.ndarray]) -> None:
    maps, masks = continuous
    accumulator = binned_roc(maps, masks)
    exact = roc_auc_score(masks.ravel(), maps.ravel())
    assert abs(accumulator.auroc() - exact) < 1e-3
    assert abs(accumulator.auroc() - exact) <= accumulator.tie_bound() + 1e-12
    assert pixel_auroc(list(maps), list(masks)) == accumulator.auroc()


def test_scores_at_bin_centres_match_sklearn_exactly() -> None:
    rng = np.random.default_rng(1)
    bins, lo, hi = 64, -2.0, 3.0
    labels = rng.random(20_000) < 0.3
    level = np.clip(rng.integers(0, bins, labels.size) + 6 * labels, 0, bins - 1)
    scores = lo + (level + 0.5) * (hi - lo) / bins
    accumulator = BinnedROC((lo, hi), bins).update(scores, labels)
    assert accumulator.tie_bound() > 0  # ties are real ties here, so the result is exact anyway
    assert accumulator.auroc() == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    fpr, tpr, thresholds = accumulator.roc()
    sk_fpr, sk_tpr, sk_thresholds = roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr, rtol=0, atol=1e-15)
    np.testing.assert_allclose(tpr, sk_tpr, rtol=0, atol=1e-15)
    # Our thresholds are the lower edges of the bins holding sklearn's thresholds (the scores).
    np.testing.assert_allclose(thresholds[1:] + 0.5 * (hi - lo) / bins, sk_thresholds[1:], atol=1e-12)


def test_chunking_layout_and_mask_dtype_do_not_change_counts(
    continuous: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    maps, masks = continuous
    reference = BinnedROC((-3.0, 4.0), 500).update(maps, masks).counts
    monkeypatch.setattr(_binning, "CHUNK", 997)
    np.testing.assert_array_equal(BinnedROC((-3.0, 4.0), 500).update(maps, masks).counts, reference)
    transposed = BinnedROC((-3.0, 4.0), 500).update(maps.transpose(2, 1, 0), masks.transpose(2, 1, 0))
    np.testing.assert_array_equal(transposed.counts, reference)
    as_uint8 = BinnedROC((-3.0, 4.0), 500).update(maps, masks.astype(np.uint8) * 255)
    np.testing.assert_array_equal(as_uint8.counts, reference)


def test_accumulators_add_and_clip_out_of_range_scores(continuous: tuple[np.ndarray, np.ndarray]) -> None:
    maps, masks = continuous
    first = BinnedROC((-0.5, 0.5), 10).update(maps[:3], masks[:3])
    second = BinnedROC((-0.5, 0.5), 10).update(maps[3:], masks[3:])
    total = first + second
    assert total.counts.sum() == maps.size
    assert total.counts[0].sum() == np.count_nonzero(maps < -0.4)
    assert total.counts[-1].sum() == np.count_nonzero(maps >= 0.4)
    with pytest.raises(ValueError, match="different bins"):
        _ = first + BinnedROC((-0.5, 0.6), 10)


def test_roc_curve_shape_and_errors(continuous: tuple[np.ndarray, np.ndarray]) -> None:
    maps, masks = continuous
    fpr, tpr, thresholds = pixel_roc(maps, masks, bins=100)
    assert fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1
    assert thresholds[0] == np.inf and np.all(np.diff(thresholds) < 0)
    with pytest.raises(ValueError, match="both"):
        pixel_auroc(maps, np.zeros_like(masks))
    with pytest.raises(ValueError, match="finite"):
        pixel_auroc(np.full((2, 2), np.nan), np.eye(2))

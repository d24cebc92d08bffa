from collections.abc import Callable

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from aoikit.metrics import BinnedROC, binned_roc, pixel_auroc, pixel_roc, plan_bins

MILLION = 1_000_000


@pytest.fixture
def continuous() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    masks = rng.random((6, 40, 50)) < 0.1
    return (rng.normal(size=masks.shape) + 1.2 * masks).astype(np.float32), masks


@pytest.fixture(scope="module")
def lognormal() -> tuple[np.ndarray, np.ndarray]:
    """10⁶ lognormal (σ 2) scores, defects 1.5× higher: the heavy tail that equal-width bins fail on."""
    rng = np.random.default_rng(5)
    labels = rng.random(MILLION) < 0.1
    return (rng.lognormal(0.0, 2.0, MILLION) * np.where(labels, 1.5, 1.0)).astype(np.float32), labels


def test_continuous_scores_close_to_sklearn_within_tie_bound(continuous: tuple[np.ndarray, np.ndarray]) -> None:
    maps, masks = continuous
    accumulator = binned_roc(maps, masks)
    exact = roc_auc_score(masks.ravel(), maps.ravel())
    assert abs(accumulator.auroc() - exact) <= accumulator.tie_bound() + 1e-12
    assert accumulator.tie_bound() < 1e-4
    assert pixel_auroc(list(maps), list(masks)) == accumulator.auroc()


def test_heavy_tail_matches_sklearn(lognormal: tuple[np.ndarray, np.ndarray]) -> None:
    scores, labels = lognormal
    accumulator = binned_roc(scores, labels)
    assert accumulator.tie_bound() < 1e-4
    assert abs(accumulator.auroc() - roc_auc_score(labels, scores)) <= accumulator.tie_bound()


def test_one_outlier_does_not_collapse_the_bins() -> None:
    rng = np.random.default_rng(6)
    labels = rng.random(MILLION) < 0.1
    scores = (rng.standard_normal(MILLION) + labels).astype(np.float32)
    scores[np.flatnonzero(~labels)[0]] = 1e6
    accumulator = binned_roc(scores, labels)
    assert accumulator.tie_bound() < 1e-4
    assert accumulator.auroc() == pytest.approx(roc_auc_score(labels, scores), abs=1e-4)


def assert_thresholds_reproduce(
    scores: np.ndarray, labels: np.ndarray, curve: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    """Flagging score ≥ threshold gives each point's FPR and TPR."""
    fpr, tpr, thresholds = curve
    for rate, pixels in [(fpr, np.sort(scores[~labels])), (tpr, np.sort(scores[labels]))]:
        flagged = pixels.size - np.searchsorted(pixels, thresholds, side="left")
        np.testing.assert_array_equal(flagged / pixels.size, rate)


def ties(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Scores with many exact ties between defect and good pixels."""
    rng = np.random.default_rng(7)
    labels = rng.random(200_000) < 0.3
    if kind == "zeros":  # mostly exact zeros (clipped maps), the rest in 8-bit steps
        scores = np.where(rng.random(labels.size) < 0.7, 0.0, rng.integers(1, 256, labels.size) / 255 + 0.2 * labels)
    elif kind == "few values":
        scores = rng.choice([-2.5, 0.0, 0.1, 0.3, 7.0, 1e4], labels.size) + 0.1 * labels
    else:  # integer-valued
        scores = rng.integers(0, 1000, labels.size) * (1 + labels)
    return scores.astype(np.float32), labels


@pytest.mark.parametrize("kind", ["zeros", "few values", "integers"])
def test_ties_match_sklearn_exactly(kind: str) -> None:
    scores, labels = ties(kind)
    assert pixel_auroc(scores, labels) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    # Every ROC point is one of sklearn's (bins holding one label may join several of its points).
    fpr, tpr, thresholds = pixel_roc(scores, labels)
    sk_fpr, sk_tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    assert set(zip(fpr.tolist(), tpr.tolist(), strict=True)) <= set(zip(sk_fpr.tolist(), sk_tpr.tolist(), strict=True))
    assert_thresholds_reproduce(scores, labels, (fpr, tpr, thresholds))


def test_exact_zeros_with_continuous_scores() -> None:
    rng = np.random.default_rng(8)
    labels = rng.random(MILLION) < 0.2
    continuous = rng.lognormal(0.0, 2.0, MILLION) * (1 + labels)
    scores = np.where(rng.random(MILLION) < 0.6, 0.0, continuous).astype(np.float32)
    assert pixel_auroc(scores, labels) == pytest.approx(roc_auc_score(labels, scores), abs=1e-6)


def test_negative_scores_match_sklearn(lognormal: tuple[np.ndarray, np.ndarray]) -> None:
    scores, labels = lognormal
    negative = -scores[:200_000]
    good_high = ~labels[:200_000]
    assert pixel_auroc(negative, good_high) == pytest.approx(roc_auc_score(good_high, negative), abs=1e-4)
    shifted = negative + np.float32(3.0)  # both signs
    assert pixel_auroc(shifted, good_high) == pytest.approx(roc_auc_score(good_high, shifted), abs=1e-4)


TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "exp(6x)": lambda x: np.exp(6.0 * x),
    "x**3": lambda x: x**3,
    "log": lambda x: np.log(x + 10.0),
}


@pytest.mark.parametrize("name", TRANSFORMS)
def test_increasing_transforms_keep_the_auroc(name: str, lognormal: tuple[np.ndarray, np.ndarray]) -> None:
    scores, labels = lognormal
    base = np.log(scores[:300_000].astype(np.float64)) / 4  # standard scores, roughly N(0, 0.5)
    labels = labels[:300_000]
    reference = pixel_auroc(base.astype(np.float32), labels)
    transformed = TRANSFORMS[name](base).astype(np.float32)
    assert pixel_auroc(transformed, labels) == pytest.approx(reference, abs=1e-4)
    assert pixel_auroc(transformed, labels) == pytest.approx(roc_auc_score(labels, transformed), abs=1e-4)


def test_roc_thresholds_are_scores_that_reproduce_the_curve(lognormal: tuple[np.ndarray, np.ndarray]) -> None:
    scores, labels = lognormal[0][:100_000], lognormal[1][:100_000]
    fpr, tpr, thresholds = pixel_roc(scores, labels, bins=2000)
    assert fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1
    assert thresholds[0] == np.inf and np.all(np.diff(thresholds) < 0) and thresholds[-1] == scores.min()
    assert_thresholds_reproduce(scores, labels, (fpr, tpr, thresholds))


def test_accumulators_add_with_the_same_bins(continuous: tuple[np.ndarray, np.ndarray]) -> None:
    maps, masks = continuous
    binning = plan_bins(maps, masks, 100)
    total = BinnedROC(binning).update(maps[:3], masks[:3]) + BinnedROC(binning).update(maps[3:], masks[3:])
    np.testing.assert_array_equal(total.counts, binned_roc(maps, masks, binning).counts)
    assert total.counts.sum() == maps.size
    with pytest.raises(ValueError, match="different bins"):
        _ = total + BinnedROC(plan_bins(maps + 1.0, masks, 100))


def test_errors(continuous: tuple[np.ndarray, np.ndarray]) -> None:
    maps, masks = continuous
    with pytest.raises(ValueError, match="both"):
        pixel_auroc(maps, np.zeros_like(masks))
    with pytest.raises(ValueError, match="finite"):
        pixel_auroc(np.full((2, 2), np.nan), np.eye(2))
    with pytest.raises(ValueError, match="finite"):
        pixel_auroc(np.array([[0.0, np.inf]]), np.eye(2)[:1])

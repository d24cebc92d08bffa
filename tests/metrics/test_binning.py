import numpy as np
import pytest

from aoikit.metrics import BinnedROC, ScoreBins, _binning, plan_bins
from aoikit.metrics._binning import key_floats, keys_of

TINY = np.finfo(np.float32).smallest_subnormal
BIG = np.finfo(np.float32).max


def test_keys_follow_score_order_and_invert() -> None:
    scores = np.array([-BIG, -1e30, -1.0, -1e-38, -TINY, -0.0, 0.0, TINY, 1e-38, 1.0, 1.5, 1e30, BIG], np.float32)
    keys = keys_of(scores).astype(np.int64)
    assert np.all(np.diff(keys) > 0)
    np.testing.assert_array_equal(key_floats(keys), scores)
    np.testing.assert_array_equal(np.signbit(key_floats(keys)), np.signbit(scores))  # −0.0 stays −0.0


def heavy_tailed(size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Lognormal (σ 2) scores of both signs, with exact and signed zeros; defects score 1.5× higher."""
    rng = np.random.default_rng(seed)
    labels = rng.random(size) < 0.2
    scores = rng.lognormal(0.0, 2.0, size) * np.where(labels, 1.5, 1.0) * rng.choice([-1.0, 1.0], size, p=[0.2, 0.8])
    scores[rng.random(size) < 0.05] = 0.0
    scores[rng.random(size) < 0.01] = -0.0
    return scores.astype(np.float32), labels


def test_bins_follow_score_order_and_thresholds_separate_them() -> None:
    scores, labels = heavy_tailed(200_000)
    binning = plan_bins(scores, labels, bins=4096)
    index = binning.index(scores)
    order = np.argsort(scores, kind="stable")
    assert np.all(np.diff(index[order]) >= 0)
    # score ≥ thresholds[b] picks the same pixels as index ≥ b, for every bin b:
    every_bin = np.arange(binning.bins)
    np.testing.assert_array_equal(
        np.searchsorted(scores[order], binning.thresholds(), side="left"),
        np.searchsorted(index[order], every_bin, side="left"),
    )
    assert binning.thresholds()[index.min()] == scores.min()
    assert index[scores == 0.0].min() == index[scores == 0.0].max()  # −0.0 and +0.0 share a bin


def test_budget_bounds_the_bins_and_full_resolution_is_exact() -> None:
    rng = np.random.default_rng(1)
    labels = rng.random(5000) < 0.5
    scores = (1.0 + rng.integers(0, 40_000, labels.size) * 2.0**-23 + labels * 2.0**-10).astype(np.float32)
    coarse = plan_bins(scores, labels, bins=64)
    assert coarse.bins <= _binning.TOPS + 64
    assert BinnedROC(coarse).update(scores, labels).tie_bound() > 0
    fine = plan_bins(scores, labels, bins=1 << 16)  # one top bin: all 2^16 float32 values of it get a bin
    accumulator = BinnedROC(fine).update(scores, labels)
    assert accumulator.tie_bound() == 0
    assert fine.single_values()[fine.index(scores)].all()


def test_sample_strides_over_all_maps(monkeypatch: pytest.MonkeyPatch) -> None:
    scores, labels = heavy_tailed(60_000, seed=2)
    maps, masks = scores.reshape(12, 50, 100), labels.reshape(12, 50, 100)
    monkeypatch.setattr(_binning, "SAMPLE", 997)
    counts = _binning._sample_counts(list(maps), list(masks))
    step = 61  # ⌈60 000 / 997⌉, odd
    whole = _binning._sample_counts(scores[::step], labels[::step])  # the same pixels, strided as one array
    np.testing.assert_array_equal(counts, whole)
    assert counts.sum() == len(range(0, scores.size, step))


def test_chunking_layout_and_mask_dtype_do_not_change_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    scores, labels = heavy_tailed(6 * 40 * 50, seed=3)
    maps, masks = scores.reshape(6, 40, 50), labels.reshape(6, 40, 50)
    binning = plan_bins(maps, masks, bins=500)
    reference = BinnedROC(binning).update(maps, masks).counts
    monkeypatch.setattr(_binning, "CHUNK", 997)
    np.testing.assert_array_equal(BinnedROC(binning).update(maps, masks).counts, reference)
    transposed = BinnedROC(binning).update(maps.transpose(2, 1, 0), masks.transpose(2, 1, 0))
    np.testing.assert_array_equal(transposed.counts, reference)
    as_uint8 = BinnedROC(binning).update(maps, masks.astype(np.uint8) * 255)
    np.testing.assert_array_equal(as_uint8.counts, reference)
    as_float64 = BinnedROC(binning).update(maps.astype(np.float64), masks)  # rounded to float32: same bins
    np.testing.assert_array_equal(as_float64.counts, reference)


def test_plans_compare_by_content_and_check_the_budget() -> None:
    scores, labels = heavy_tailed(1000, seed=4)
    assert plan_bins(scores, labels, 100) == plan_bins(scores.copy(), labels, 100)
    assert plan_bins(scores, labels, 100) != plan_bins(scores, labels, 5000)
    assert isinstance(plan_bins(scores, labels), ScoreBins)
    with pytest.raises(ValueError, match="bins"):
        plan_bins(scores, labels, 0)

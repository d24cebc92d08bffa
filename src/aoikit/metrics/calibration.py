"""Thresholds and score normalisation fitted on held-out GOOD validation images only, saved with a model."""

from typing import Any, Self

import numpy as np

from aoikit.metrics._binning import Maps, as_map_list, min_max

PIXEL_QUANTILE = 0.999
"""Default quantile of held-out good pixels used as the pixel threshold."""
IMAGE_QUANTILE = 0.99
"""Default quantile of held-out good image scores used as the image threshold."""
AREA_QUANTILE = 0.99
"""Default quantile of held-out good pixels above which the "area" image score counts a pixel."""


def fit_quantile_threshold(good_maps: Maps, quantile: float = PIXEL_QUANTILE) -> float:
    """Quantile of all pixel scores of good images (exactly `np.quantile`, linear method).

    Only the highest (1 − quantile) share of the N scores is kept between maps, so memory is about
    6·(1 − quantile)·N values plus three maps instead of N: small for the high quantiles used as thresholds.
    """
    if not 0 <= quantile <= 1:
        raise ValueError(f"quantile must lie in [0, 1], got {quantile}")
    maps = as_map_list(good_maps)
    total = sum(m.size for m in maps)
    if total == 0:
        raise ValueError("no scores given")
    position = (total - 1) * quantile
    rank = int(np.floor(position))
    keep = total - rank  # values at ranks rank .. total-1
    top = np.empty(0, np.result_type(*maps))
    pending: list[np.ndarray] = []
    pending_size = 0
    for score_map in maps:
        pending.append(np.ravel(score_map))
        pending_size += score_map.size
        if pending_size >= keep:
            top, pending, pending_size = _largest(np.concatenate([top, *pending]), keep), [], 0
    top = _largest(np.concatenate([top, *pending]), keep)
    if top.size == 1:
        return float(top[0])
    low, high = (float(v) for v in np.partition(top, 1)[:2])
    return low + (position - rank) * (high - low)


def _largest(values: np.ndarray, count: int) -> np.ndarray:
    return values if values.size <= count else np.partition(values, values.size - count)[values.size - count :].copy()


class MinMaxNormalizer:
    """Linear map sending the smallest good score to 0 and the largest to 1 (defects may exceed 1).

    Fit it on scores of held-out good images, never on the test set.
    """

    min_: float
    max_: float

    def fit(self, scores: Maps) -> Self:
        """Learn `min_` and `max_` from image scores or anomaly maps (array or list of arrays)."""
        self.min_, self.max_ = min_max(scores)
        return self

    def transform(self, scores: np.ndarray) -> np.ndarray:
        """Apply (scores − min_) / (max_ − min_); a zero span is treated as 1."""
        if not hasattr(self, "min_"):
            raise RuntimeError("MinMaxNormalizer is not fitted: call fit() first")
        return (np.asarray(scores) - self.min_) / ((self.max_ - self.min_) or 1.0)

    def to_dict(self) -> dict[str, float]:
        """Learned state as plain floats, for a JSON file next to the weights."""
        return {"min": self.min_, "max": self.max_}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Self:
        """Rebuild a fitted normalizer from `to_dict()` output."""
        normalizer = cls()
        normalizer.min_, normalizer.max_ = float(state["min"]), float(state["max"])
        return normalizer

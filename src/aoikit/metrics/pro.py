"""Per-region overlap (PRO) and its normalised area up to a false-positive rate, as in the MVTec AD evaluation.

PRO at a threshold is the mean, over all ground-truth connected components (8-connectivity) of all images, of
the fraction of the component's pixels scoring at or above the threshold; the FPR counts defect-free pixels of
all images. AUPRO is the area under PRO vs FPR up to `max_fpr` (the curve interpolated there), divided by it.
"""

from typing import Self

import numpy as np
from scipy import ndimage

from aoikit.metrics._binning import Maps, fill, iter_pairs
from aoikit.metrics.roc import BinnedROC

_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


class BinnedPRO:
    """PRO accumulator over equal-width score bins; thresholds are the bin edges, as in `BinnedROC`.

    It also fills a pixel `BinnedROC` (`pixels`), so one pass gives pixel AUROC and AUPRO.

    Args:
        score_range: (lo, hi) of the scores; values outside are clipped into the end bins.
        bins: number of bins (thresholds).
    """

    def __init__(self, score_range: tuple[float, float], bins: int = 10_000) -> None:
        self.pixels = BinnedROC(score_range, bins)
        self.overlap = np.zeros(bins, np.float64)  # per bin: sum over regions of their pixel fraction in the bin
        self.regions = 0

    def update(self, score_map: np.ndarray, mask: np.ndarray) -> Self:
        """Add one H×W anomaly map and its ground-truth mask (bool or 0/non-zero)."""
        score_map, mask = np.asarray(score_map), np.asarray(mask) != 0
        if score_map.ndim != 2 or score_map.shape != mask.shape:
            raise ValueError(f"expected an H×W map and mask, got shapes {score_map.shape} and {mask.shape}")
        self.pixels.update(score_map, mask)
        components, count = ndimage.label(mask, structure=_EIGHT_CONNECTED)
        if count:
            component = components[mask]
            weight = 1.0 / np.bincount(component)[component]
            bin_index = self.pixels.binning.index(score_map[mask])
            self.overlap += np.bincount(bin_index, weights=weight, minlength=self.pixels.binning.bins)
            self.regions += count
        return self

    def __add__(self, other: "BinnedPRO") -> "BinnedPRO":
        binning = self.pixels.binning
        total = BinnedPRO((binning.lo, binning.hi), binning.bins)
        total.pixels = self.pixels + other.pixels
        total.overlap = self.overlap + other.overlap
        total.regions = self.regions + other.regions
        return total

    def curve(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (fpr, pro, thresholds), thresholds decreasing from +inf; empty bins skipped."""
        if self.regions == 0:
            raise ValueError("PRO needs at least one defect region")
        counts = self.pixels.counts[::-1]
        keep = counts.sum(axis=1) > 0
        good = np.cumsum(counts[:, 0])[keep]
        if good[-1] == 0:
            raise ValueError("PRO needs defect-free pixels")
        pro = np.cumsum(self.overlap[::-1])[keep] / self.regions
        thresholds = self.pixels.binning.lower_edges()[::-1][keep]
        return (
            np.concatenate([[0.0], good / good[-1]]),
            np.concatenate([[0.0], np.minimum(pro, 1.0)]),
            np.concatenate([[np.inf], thresholds]),
        )

    def aupro(self, max_fpr: float = 0.3) -> float:
        """Area under PRO vs FPR up to `max_fpr`, divided by `max_fpr` (1.0 for a perfect map)."""
        fpr, pro, _ = self.curve()
        return area_up_to(fpr, pro, max_fpr) / max_fpr


def area_up_to(x: np.ndarray, y: np.ndarray, x_max: float) -> float:
    """Trapezoidal area under y(x) for x ≤ x_max (x non-decreasing from ≤ x_max), interpolating y at x_max."""
    if not 0 < x_max <= x[-1]:
        raise ValueError(f"x_max must lie in (0, {x[-1]}], got {x_max}")
    inside = int(np.searchsorted(x, x_max, side="right"))
    xs, ys = x[:inside], y[:inside]
    if xs[-1] < x_max:
        step = (x_max - xs[-1]) / (x[inside] - xs[-1])
        xs = np.append(xs, x_max)
        ys = np.append(ys, ys[-1] + step * (y[inside] - ys[-1]))
    return float(np.trapezoid(ys, xs))


def pro_curve(
    maps: Maps, masks: Maps, bins: int = 10_000, score_range: tuple[float, float] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Binned PRO curve (fpr, pro, thresholds) over H×W maps and masks; the range defaults to their min/max."""
    return binned_pro(maps, masks, bins, score_range).curve()


def aupro(
    maps: Maps,
    masks: Maps,
    max_fpr: float = 0.3,
    bins: int = 10_000,
    score_range: tuple[float, float] | None = None,
) -> float:
    """Normalised AUPRO up to `max_fpr` with thresholds at `bins` equal-width steps over the score range."""
    return binned_pro(maps, masks, bins, score_range).aupro(max_fpr)


def binned_pro(
    maps: Maps, masks: Maps, bins: int = 10_000, score_range: tuple[float, float] | None = None
) -> BinnedPRO:
    """Fill a `BinnedPRO` from H×W maps and masks; the score range defaults to the maps' min/max."""
    return fill(BinnedPRO, maps, masks, bins, score_range)


def aupro_exact(maps: Maps, masks: Maps, max_fpr: float = 0.3) -> float:
    """Reference AUPRO with every distinct score as a threshold; sorts all pixels (about 50 bytes each)."""
    scores, good, weights, regions = [], [], [], 0
    for score_map, mask in iter_pairs(maps, masks):
        components, count = ndimage.label(mask, structure=_EIGHT_CONNECTED)
        weight = np.zeros(mask.shape)
        weight[mask] = 1.0 / np.bincount(components.ravel())[components[mask]]
        scores.append(score_map.ravel())
        good.append(~mask.ravel())
        weights.append(weight.ravel())
        regions += count
    if regions == 0:
        raise ValueError("PRO needs at least one defect region")
    all_scores = np.concatenate(scores)
    order = np.argsort(all_scores, kind="stable")[::-1]
    sorted_scores = all_scores[order]
    last_of_tie = np.append(sorted_scores[1:] != sorted_scores[:-1], True)
    fp = np.cumsum(np.concatenate(good)[order])[last_of_tie]
    pro = np.cumsum(np.concatenate(weights)[order])[last_of_tie] / regions
    fpr = np.concatenate([[0.0], fp / fp[-1]])
    return area_up_to(fpr, np.concatenate([[0.0], np.minimum(pro, 1.0)]), max_fpr) / max_fpr

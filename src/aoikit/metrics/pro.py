"""Per-region overlap (PRO) and its normalised area up to a false-positive rate, as in the MVTec AD evaluation.

PRO at a threshold is the mean, over all ground-truth connected components (8-connectivity) of all images, of
the fraction of the component's pixels scoring at or above the threshold; the FPR counts defect-free pixels of
all images. AUPRO is the area under PRO vs FPR up to `max_fpr` (the curve interpolated there), divided by it.
"""

from typing import Self

import numpy as np
from scipy import ndimage

from aoikit.metrics._binning import BINS, Maps, ScoreBins, fill, iter_pairs
from aoikit.metrics.roc import BinnedROC

_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


class BinnedPRO:
    """PRO accumulator over planned score bins (`plan_bins`); thresholds are the bins' lowest scores, as in `BinnedROC`.

    It also fills a pixel `BinnedROC` (`pixels`), so one pass gives pixel AUROC and AUPRO. Within a bin the curve
    is a straight line, so the AUPRO is exact when each bin holding both defect and good pixels holds one value.
    """

    def __init__(self, binning: ScoreBins) -> None:
        self.pixels = BinnedROC(binning)
        # per bin: Σ over regions of their pixel fraction in it
        self.overlap: np.ndarray = np.zeros(binning.bins, np.float64)
        self.regions = 0

    def update(self, score_map: np.ndarray, mask: np.ndarray) -> Self:
        """Add one H×W anomaly map and its ground-truth mask (bool or 0/non-zero)."""
        score_map, mask = np.asarray(score_map), np.asarray(mask)
        mask = mask if mask.dtype == bool else mask != 0
        if score_map.ndim != 2 or score_map.shape != mask.shape:
            raise ValueError(f"expected an H×W map and mask, got shapes {score_map.shape} and {mask.shape}")
        self.pixels.update(score_map, mask)
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        if rows.size:  # label only the box around the defects
            box = np.s_[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
            defects = mask[box]
            components, count = ndimage.label(defects, structure=_EIGHT_CONNECTED)
            component = components[defects]
            weight = 1.0 / np.bincount(component)[component]
            bin_index = self.pixels.binning.index(score_map[box][defects])
            self.overlap += np.bincount(bin_index, weights=weight, minlength=self.pixels.binning.bins)
            self.regions += count
        return self

    def __add__(self, other: "BinnedPRO") -> "BinnedPRO":
        total = BinnedPRO(self.pixels.binning)
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
        thresholds = self.pixels.binning.thresholds()[::-1][keep]
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


def pro_curve(maps: Maps, masks: Maps, bins: int | ScoreBins = BINS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Binned PRO curve (fpr, pro, thresholds) over H×W maps and masks; `bins` as in `binned_pro`."""
    return binned_pro(maps, masks, bins).curve()


def aupro(maps: Maps, masks: Maps, max_fpr: float = 0.3, bins: int | ScoreBins = BINS) -> float:
    """Normalised AUPRO up to `max_fpr` over planned score bins; `bins` as in `binned_pro`."""
    return binned_pro(maps, masks, bins).aupro(max_fpr)


def binned_pro(maps: Maps, masks: Maps, bins: int | ScoreBins = BINS) -> BinnedPRO:
    """Fill a `BinnedPRO` from H×W maps and masks; `bins` is a plan or a budget to plan from them (`plan_bins`)."""
    return fill(BinnedPRO, maps, masks, bins)


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

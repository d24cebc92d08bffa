"""Pixel-level ROC over many anomaly maps, binned on the scores' order so that 1e8 pixels take under a second."""

from typing import Self

import numpy as np

from aoikit.metrics._binning import BINS, Maps, ScoreBins, fill


class BinnedROC:
    """ROC accumulator over score bins planned from the data (`plan_bins`): fine where defect and good scores meet.

    Scores within one bin count as tied, so the AUROC differs from the exact one (of the scores rounded to
    float32) by at most half the fraction of defect–good pairs sharing a bin that spans more than one float32
    value (`tie_bound()`). Bins are planned where both labels meet, so this is about 1e-5 or less for continuous
    scores, and no error at all where each bin holding both labels holds one value (scores with few distinct
    values). Each update is binned in chunks of 128k pixels, so memory beyond the inputs stays near 3 MB plus the
    counts (16 bytes per bin, at most 2^16 + budget bins).
    """

    def __init__(self, binning: ScoreBins) -> None:
        self.binning = binning
        self.counts: np.ndarray = np.zeros((binning.bins, 2), np.int64)  # per bin: [negatives, positives]

    def update(self, scores: np.ndarray, labels: np.ndarray) -> Self:
        """Add scores of any shape with their labels (bool or 0/non-zero) of the same shape."""
        self.counts += self.binning.label_counts(np.asarray(scores), np.asarray(labels))
        return self

    def __add__(self, other: "BinnedROC") -> "BinnedROC":
        if other.binning != self.binning:
            raise ValueError("cannot add ROC accumulators with different bins")
        total = BinnedROC(self.binning)
        total.counts = self.counts + other.counts
        return total

    def roc(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (fpr, tpr, thresholds) like `sklearn.metrics.roc_curve`: predicted positive when score ≥ threshold.

        Thresholds are the bins' lowest scores (`ScoreBins.thresholds`) in decreasing order, empty bins skipped; the
        first point (0, 0) has threshold +inf.
        """
        negatives, positives = self._totals()
        descending = self.counts[::-1]
        keep = descending.sum(axis=1) > 0
        fp = np.cumsum(descending[:, 0])[keep]
        tp = np.cumsum(descending[:, 1])[keep]
        thresholds = self.binning.thresholds()[::-1][keep]
        return (
            np.concatenate([[0.0], fp / negatives]),
            np.concatenate([[0.0], tp / positives]),
            np.concatenate([[np.inf], thresholds]),
        )

    def auroc(self) -> float:
        """Area under the ROC curve (pairs within one bin count one half)."""
        negatives, positives = self._totals()
        neg, pos = self.counts[:, 0].astype(np.float64), self.counts[:, 1].astype(np.float64)
        below = np.cumsum(neg) - neg
        return float((pos @ below + 0.5 * (pos @ neg)) / (negatives * positives))

    def tie_bound(self) -> float:
        """Largest possible |binned − exact| AUROC: half the fraction of positive–negative pairs sharing a bin that
        spans more than one float32 value."""
        negatives, positives = self._totals()
        wide = ~self.binning.single_values()
        neg, pos = self.counts[wide, 0].astype(np.float64), self.counts[wide, 1].astype(np.float64)
        return float(0.5 * (pos @ neg) / (negatives * positives))

    def _totals(self) -> tuple[int, int]:
        negatives, positives = (int(n) for n in self.counts.sum(axis=0))
        if negatives == 0 or positives == 0:
            raise ValueError("ROC needs both defect and defect-free pixels")
        return negatives, positives


def binned_roc(maps: Maps, masks: Maps, bins: int | ScoreBins = BINS) -> BinnedROC:
    """Fill a `BinnedROC` from maps and masks; `bins` is a plan or a budget to plan from them (`plan_bins`)."""
    return fill(BinnedROC, maps, masks, bins)


def pixel_roc(maps: Maps, masks: Maps, bins: int | ScoreBins = BINS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel ROC (fpr, tpr, thresholds) over all maps; see `BinnedROC` for the binning error."""
    return binned_roc(maps, masks, bins).roc()


def pixel_auroc(maps: Maps, masks: Maps, bins: int | ScoreBins = BINS) -> float:
    """Pixel AUROC over all maps (stacked array or list of H×W arrays); see `BinnedROC` for the binning error."""
    return binned_roc(maps, masks, bins).auroc()

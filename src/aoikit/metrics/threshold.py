"""Pick an operating threshold from a ROC curve."""

import numpy as np

from aoikit.metrics._binning import BINS, Maps, ScoreBins
from aoikit.metrics.roc import pixel_roc


def youden_threshold(fpr: np.ndarray, tpr: np.ndarray, thresholds: np.ndarray) -> float:
    """Threshold maximising Youden's J = TPR − FPR (ties: the highest threshold; the +inf point is skipped)."""
    j = np.where(np.isfinite(thresholds), np.asarray(tpr) - np.asarray(fpr), -np.inf)
    if not np.isfinite(j).any():
        raise ValueError("no finite threshold on the curve")
    return float(np.asarray(thresholds)[np.argmax(j)])


def youden_threshold_from_maps(maps: Maps, masks: Maps, bins: int | ScoreBins = BINS) -> float:
    """Pixel-level Youden threshold: a pixel is defective when its score is ≥ the returned value."""
    return youden_threshold(*pixel_roc(maps, masks, bins))

"""Pixel segmentation quality of thresholded anomaly maps."""

import numpy as np

from aoikit.metrics._binning import Maps, iter_pairs


def segmentation_scores(maps: Maps, masks: Maps, threshold: float) -> dict[str, float]:
    """IoU, Dice, TPR and FPR over all pixels, a pixel predicted defective when its score is ≥ `threshold`.

    A rate whose denominator is zero (e.g. TPR with no defect pixels) is NaN.
    """
    tp = fp = fn = tn = 0
    for score_map, mask in iter_pairs(maps, masks):
        predicted = score_map >= threshold
        hits = int(np.count_nonzero(predicted & mask))
        flagged, defects = int(np.count_nonzero(predicted)), int(np.count_nonzero(mask))
        tp += hits
        fp += flagged - hits
        fn += defects - hits
        tn += mask.size - flagged - defects + hits
    return {
        "iou": _ratio(tp, tp + fp + fn),
        "dice": _ratio(2 * tp, 2 * tp + fp + fn),
        "tpr": _ratio(tp, tp + fn),
        "fpr": _ratio(fp, fp + tn),
    }


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else float("nan")

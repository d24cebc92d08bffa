"""Image-level scores from anomaly maps and their AUROC."""

import math
from typing import Literal

import cv2
import numpy as np
from sklearn.metrics import roc_auc_score

from aoikit.metrics._binning import Maps, as_map_list


def image_scores_from_maps(
    maps: Maps, sigma: float = 4.0, reduce: Literal["max", "topk"] = "max", top_k: float = 0.01
) -> np.ndarray:
    """One score per map: Gaussian-smoothed (σ = `sigma`, 0 for none), then its max or the mean of its top `top_k`.

    Smoothing uses reflected borders and a kernel cut at 4σ, like `scipy.ndimage.gaussian_filter`.
    """
    if reduce not in ("max", "topk"):
        raise ValueError(f"reduce must be 'max' or 'topk', got {reduce!r}")
    if not 0 < top_k <= 1:
        raise ValueError(f"top_k must lie in (0, 1], got {top_k}")
    scores = []
    for score_map in as_map_list(maps):
        dtype = np.float64 if score_map.dtype == np.float64 else np.float32
        smooth: np.ndarray = np.asarray(score_map, dtype)
        if sigma > 0:
            smooth = cv2.GaussianBlur(smooth, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REFLECT)
        if reduce == "max":
            scores.append(float(smooth.max()))
        else:
            count = max(1, math.ceil(top_k * smooth.size))
            scores.append(float(np.partition(smooth.ravel(), smooth.size - count)[-count:].mean()))
    return np.asarray(scores)


def area_scores(maps: Maps, threshold: float) -> np.ndarray:
    """One score per map: the share of its pixels above ``threshold`` (e.g. a high quantile of good pixels)."""
    return np.asarray([float((np.asarray(m) > threshold).mean()) for m in as_map_list(maps)])


def image_auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Image AUROC of scores against labels (1 or True: defective); needs both classes."""
    return float(roc_auc_score(np.asarray(labels) != 0, np.asarray(scores)))

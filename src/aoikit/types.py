"""Result types returned by detectors."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class InferenceResult:
    """What a detector says about one image (field names as in anomalib)."""

    pred_score: float
    pred_label: int
    anomaly_map: np.ndarray
    pred_mask: np.ndarray
    reconstruction: np.ndarray

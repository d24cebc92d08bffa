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


@dataclass(frozen=True)
class LabelledImage:
    """A training image for a supervised family: a grayscale image, where its defects are (a bool mask of the same
    size), and their type."""

    image: np.ndarray
    mask: np.ndarray
    defect_type: str = "defect"

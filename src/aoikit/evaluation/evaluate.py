"""Evaluate a detector's maps on a labelled test set, window by window."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aoikit.data.arrays import load_images, load_masks
from aoikit.data.dataset import Sample
from aoikit.detector import Analysis, Detector
from aoikit.metrics import (
    binned_pro,
    image_auroc,
    per_type_metrics,
    segmentation_scores,
    youden_threshold,
)


@dataclass
class TestSet:
    """Test images at native size with their masks, labels and defect types."""

    samples: list[Sample]
    images: list[np.ndarray]
    masks: list[np.ndarray]

    @property
    def labels(self) -> np.ndarray:
        """1 for defective images, 0 for good ones."""
        return np.array([s.label for s in self.samples])

    @property
    def types(self) -> list[str]:
        """Defect type per image (``good`` for good images)."""
        return [s.defect_type for s in self.samples]


def load_test_set(samples: Sequence[Sample]) -> TestSet:
    """Read test images and their ground-truth masks."""
    images = load_images(samples, desc="reading test images")
    return TestSet(list(samples), images, load_masks(samples, images))


def image_decisions(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, float]:
    """Share of defective images flagged (TPR) and of good images flagged (FPR) when flagging scores > threshold."""
    flagged = scores > threshold
    return {
        "threshold": float(threshold),
        "tpr": float(flagged[labels == 1].mean()) if (labels == 1).any() else float("nan"),
        "fpr": float(flagged[labels == 0].mean()) if (labels == 0).any() else float("nan"),
    }


def evaluate_maps(
    maps: Sequence[np.ndarray],
    test: TestSet,
    calibrated_threshold: float,
    scores: np.ndarray,
    image_threshold: float,
) -> dict[str, object]:
    """Pixel AUROC, AUPRO, image AUROC of ``scores``, segmentation at a test-fitted and a calibrated threshold,
    and image decisions at the calibrated ``image_threshold``."""
    pro = binned_pro(maps, test.masks)
    fpr, tpr, thresholds = pro.pixels.roc()
    youden = youden_threshold(fpr, tpr, thresholds)
    return {
        "pixel_auroc": pro.pixels.auroc(),
        "aupro": pro.aupro(0.3),
        "image_auroc": image_auroc(scores, test.labels),
        "threshold_test_fitted": youden,
        "segmentation_test_fitted": segmentation_scores(maps, test.masks, youden),
        "threshold_calibrated": calibrated_threshold,
        "segmentation_calibrated": segmentation_scores(maps, test.masks, calibrated_threshold),
        "per_type": per_type_metrics(maps, test.masks, test.labels, test.types, image_scores=scores),
        "roc": {"fpr": fpr, "tpr": tpr},
        "images_calibrated": image_decisions(scores, test.labels, image_threshold),
    }


def evaluate(
    detector: Detector, test: TestSet, val_images: Sequence[np.ndarray], windows: Sequence[int]
) -> tuple[dict[int, dict[str, object]], dict[int, list[np.ndarray]], list[np.ndarray]]:
    """Metrics per SSIM window; thresholds (pixel, image, and area for the "area" image score) calibrated per
    window on the held-out good images. Each image is analysed once for all windows."""
    val = detector.analyse_many(val_images, windows, desc="calibrating")
    analysed: list[Analysis] = detector.analyse_many(test.images, windows, desc="evaluating")
    results = {}
    for window in windows:
        thresholds = detector.fit_thresholds(val, window)
        scores = detector.image_scores(analysed, window, thresholds.area)
        maps = [a.maps[window] for a in analysed]
        results[window] = evaluate_maps(maps, test, thresholds.pixel, scores, thresholds.image)
    test_maps = {window: [a.maps[window] for a in analysed] for window in windows}
    return results, test_maps, [a.reconstruction for a in analysed]

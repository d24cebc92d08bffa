import numpy as np
import pytest

from aoikit.metrics import pixel_roc, segmentation_scores, youden_threshold, youden_threshold_from_maps


def test_youden_picks_largest_tpr_minus_fpr_and_skips_infinite_threshold() -> None:
    fpr = np.array([0.0, 0.0, 0.1, 0.5, 1.0])
    tpr = np.array([0.0, 0.2, 0.8, 0.9, 1.0])
    thresholds = np.array([np.inf, 0.9, 0.6, 0.3, 0.0])
    assert youden_threshold(fpr, tpr, thresholds) == 0.6
    assert youden_threshold(np.zeros(2), np.zeros(2), np.array([np.inf, 1.0])) == 1.0


def test_youden_from_maps_is_a_roc_point_reproduced_by_segmentation() -> None:
    rng = np.random.default_rng(3)
    masks = rng.random((4, 32, 32)) < 0.2
    maps = rng.normal(size=masks.shape) + 1.5 * masks
    threshold = youden_threshold_from_maps(maps, masks, bins=200)
    fpr, tpr, thresholds = pixel_roc(maps, masks, bins=200)
    point = int(np.flatnonzero(thresholds == threshold)[0])
    scores = segmentation_scores(maps, masks, threshold)
    assert scores["tpr"] == pytest.approx(tpr[point]) and scores["fpr"] == pytest.approx(fpr[point])
    assert tpr[point] - fpr[point] == pytest.approx(np.max(tpr - fpr))

import math

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, f1_score, jaccard_score

from aoikit.metrics import segmentation_scores


def test_matches_sklearn_on_small_maps() -> None:
    rng = np.random.default_rng(2)
    masks = [rng.random((9, 7)) < 0.3 for _ in range(3)]
    maps = [rng.random((9, 7)) + 0.3 * m for m in masks]
    threshold = 0.6
    truth = np.concatenate([m.ravel() for m in masks])
    predicted = np.concatenate([m.ravel() for m in maps]) >= threshold
    tn, fp, fn, tp = confusion_matrix(truth, predicted).ravel()
    scores = segmentation_scores(maps, [m.astype(np.uint8) for m in masks], threshold)
    assert scores["iou"] == pytest.approx(jaccard_score(truth, predicted))
    assert scores["dice"] == pytest.approx(f1_score(truth, predicted))
    assert scores["tpr"] == pytest.approx(tp / (tp + fn))
    assert scores["fpr"] == pytest.approx(fp / (fp + tn))


def test_undefined_rates_are_nan() -> None:
    scores = segmentation_scores(np.zeros((2, 4, 4)), np.zeros((2, 4, 4)), 0.5)
    assert math.isnan(scores["iou"]) and math.isnan(scores["tpr"]) and scores["fpr"] == 0.0

"""Image decisions at a threshold: shares of defective and good parts flagged."""

import numpy as np

from aoikit.evaluation.evaluate import image_decisions


def test_flagged_shares_have_known_values() -> None:
    scores = np.array([0.1, 0.5, 0.9, 0.2, 0.7, 0.4])
    labels = np.array([0, 0, 0, 1, 1, 1])
    assert image_decisions(scores, labels, 0.45) == {"threshold": 0.45, "tpr": 1 / 3, "fpr": 2 / 3}
    assert image_decisions(scores, labels, 0.9) == {"threshold": 0.9, "tpr": 0.0, "fpr": 0.0}

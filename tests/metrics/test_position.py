"""Per-position statistics of good maps: known answers and clear errors."""

import numpy as np
import pytest

from aoikit.metrics import PositionStats


def test_statistics_and_standard_scores_have_known_values() -> None:
    low, high = np.zeros((2, 3), np.float32), np.full((2, 3), 2.0, np.float32)
    high[0, 0] = 0.0  # good maps agree at one position: std 0 there
    stats = PositionStats.fit([low, high])
    np.testing.assert_allclose(stats.mean, [[0, 1, 1], [1, 1, 1]])
    np.testing.assert_allclose(stats.std, [[0, 1, 1], [1, 1, 1]])
    assert stats.floor == 1.0 and stats.offset == 0.5
    np.testing.assert_allclose(stats.standardise(np.full((2, 3), 3.0, np.float32)), [[3.5, 1.5, 1.5], [1.5, 1.5, 1.5]])
    assert stats.standardise(np.zeros((2, 3), np.float32)).min() == 0.0


def test_wrong_frame_and_too_few_maps_are_refused() -> None:
    stats = PositionStats.fit([np.zeros((4, 4)), np.ones((4, 4))])
    with pytest.raises(ValueError, match="does not match"):
        stats.standardise(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="at least two"):
        PositionStats.fit([np.zeros((4, 4))])

import json

import numpy as np
import pytest

from aoikit.metrics import MinMaxNormalizer, fit_quantile_threshold


@pytest.mark.parametrize("quantile", [0.0, 0.3, 0.5, 0.99, 0.999, 1.0])
def test_quantile_threshold_equals_numpy_quantile(quantile: float) -> None:
    rng = np.random.default_rng(7)
    maps = [rng.gamma(2.0, size=(37, 41)).astype(np.float32) for _ in range(9)]
    maps[3][:5] = 0.0  # ties
    expected = np.quantile(np.concatenate([m.ravel() for m in maps]).astype(np.float64), quantile)
    assert fit_quantile_threshold(maps, quantile) == pytest.approx(expected, rel=1e-12)
    assert fit_quantile_threshold(np.stack(maps), quantile) == pytest.approx(expected, rel=1e-12)


def test_quantile_threshold_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="quantile"):
        fit_quantile_threshold([np.zeros((2, 2))], 1.5)
    with pytest.raises(ValueError, match="no scores"):
        fit_quantile_threshold([])


def test_min_max_normalizer_fit_transform_and_round_trip() -> None:
    good = [np.array([[1.0, 3.0], [2.0, 5.0]]), np.array([[4.0, 2.0]])]
    normalizer = MinMaxNormalizer().fit(good)
    assert (normalizer.min_, normalizer.max_) == (1.0, 5.0)
    np.testing.assert_allclose(normalizer.transform(np.array([1.0, 3.0, 9.0])), [0.0, 0.5, 2.0])
    restored = MinMaxNormalizer.from_dict(json.loads(json.dumps(normalizer.to_dict())))
    np.testing.assert_array_equal(restored.transform(good[0]), normalizer.transform(good[0]))
    with pytest.raises(RuntimeError, match="fit"):
        MinMaxNormalizer().transform(good[0])

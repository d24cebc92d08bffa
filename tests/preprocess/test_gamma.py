"""Gamma correction per region: a known gamma curve on the part or on its background is undone."""

import numpy as np
import pytest

from aoikit.preprocess import correct_gamma, fit_gamma, gamma_reference


def _part(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A textured dark disc (the part) on a textured bright plate, and its mask."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:64, :64]
    mask = (yy - 30) ** 2 + (xx - 34) ** 2 < 18**2
    image = np.where(mask, rng.uniform(0.2, 0.45, mask.shape), rng.uniform(0.6, 0.85, mask.shape))
    return image.astype(np.float32), mask


def test_a_gamma_curve_is_recovered_and_undone_in_each_region() -> None:
    image, mask = _part()
    reference = gamma_reference([(image, mask)])
    curved = np.where(mask, image**0.6, image**1.5).astype(np.float32)
    assert fit_gamma(curved[mask], reference[0]) == pytest.approx(1 / 0.6, abs=1e-2)
    assert fit_gamma(curved[~mask], reference[1]) == pytest.approx(1 / 1.5, abs=1e-2)
    np.testing.assert_allclose(correct_gamma(curved, mask, reference), image, atol=1e-4)


def test_reference_is_the_geometric_mean_averaged_over_images() -> None:
    mask = np.zeros((4, 4), bool)
    mask[:2] = True
    first = np.where(mask, 0.2, 0.5).astype(np.float32)
    second = np.where(mask, 0.4, 0.8).astype(np.float32)
    part, background = gamma_reference([(first, mask), (second, mask)])
    assert part == pytest.approx(np.sqrt(0.2 * 0.4)) and background == pytest.approx(np.sqrt(0.5 * 0.8))


def test_an_empty_region_is_left_alone_and_extreme_regions_stay_finite() -> None:
    image, _ = _part()
    everything = np.ones(image.shape, bool)
    geometric_mean = float(np.exp(np.log(image).mean()))
    np.testing.assert_allclose(correct_gamma(image, everything, (geometric_mean, 0.05)), image, atol=1e-5)
    assert fit_gamma(np.full(10, 1.0), 0.01) == 10.0 and fit_gamma(np.full(10, 0.0), 0.99) == 0.1
    with pytest.raises(ValueError, match="both a part and a background"):
        gamma_reference([(image, everything)])

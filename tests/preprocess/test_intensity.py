"""Intensity matching: a darker, flatter copy of an image is brought back to the reference."""

import numpy as np
import pytest

from aoikit.preprocess import intensity_reference, match_intensity


def _image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.2, 0.8, (64, 64)).astype(np.float32)


def test_reference_is_mean_and_contrast_over_images() -> None:
    images = [np.full((8, 8), 0.2, np.float32), np.tile([0.4, 0.8], (8, 4)).astype(np.float32)]
    mean, std = intensity_reference(images)
    assert mean == pytest.approx((0.2 + 0.6) / 2) and std == pytest.approx((0.0 + 0.2) / 2)


def test_darker_lower_contrast_copy_is_restored() -> None:
    image = _image(0)
    drifted = 0.9 * image - 0.03
    restored = match_intensity(drifted, intensity_reference([image]))
    np.testing.assert_allclose(restored, image, atol=1e-5)


def test_plain_image_is_shifted_not_amplified() -> None:
    out = match_intensity(np.full((8, 8), 0.3, np.float32), (0.6, 0.1))
    np.testing.assert_allclose(out, 0.6)


def test_result_stays_in_unit_range() -> None:
    out = match_intensity(_image(1), (0.9, 0.5))
    assert out.dtype == np.float32 and out.min() >= 0.0 and out.max() <= 1.0


def test_no_images_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        intensity_reference([])

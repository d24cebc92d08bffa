"""Synthetic anomalies: Perlin noise, masks, textures and pasting."""

import numpy as np
import pytest

from aoikit.models.draem.anomalies import (
    AnomalySynthesizer,
    bundled_textures,
    perlin,
    perlin_mask,
    procedural_texture,
)


def test_perlin_is_smooth_zero_at_grid_points_and_seeded() -> None:
    noise = perlin((64, 48), (4, 3), np.random.default_rng(0))
    assert noise.shape == (64, 48) and np.abs(noise).max() <= 1.5
    assert np.abs(noise[::16, ::16]).max() < 1e-9  # gradient noise vanishes on the lattice
    assert np.abs(np.diff(noise, axis=0)).max() < 0.2
    np.testing.assert_array_equal(noise, perlin((64, 48), (4, 3), np.random.default_rng(0)))


def test_masks_are_binary_and_cover_a_minority_of_the_image() -> None:
    rng = np.random.default_rng(1)
    masks = [perlin_mask((96, 80), rng, 8, 64) for _ in range(40)]
    assert all(m.shape == (96, 80) and set(np.unique(m)) <= {0.0, 1.0} for m in masks)
    cover = np.array([m.mean() for m in masks])
    assert (cover > 0).mean() > 0.5 and cover.mean() < 0.4


def test_textures_are_grey_in_unit_range() -> None:
    for texture in (*bundled_textures(), procedural_texture((32, 40), np.random.default_rng(2))):
        assert texture.ndim == 2 and texture.dtype == np.float32
        assert texture.min() >= 0.0 and texture.max() <= 1.0


@pytest.mark.parametrize("probability", [0.0, 1.0])
def test_pasting_changes_only_masked_pixels(probability: float) -> None:
    image = np.full((64, 64), 0.5, np.float32)
    rng = np.random.default_rng(3)
    synth = AnomalySynthesizer(probability=probability, min_cell=16, max_cell=32)
    pasted = 0
    for _ in range(10):
        out, mask = synth(image, rng, [image])
        assert out.shape == mask.shape == image.shape and out.dtype == np.float32
        np.testing.assert_array_equal(out[mask == 0], image[mask == 0])
        pasted += int(mask.sum() > 0)
    assert pasted == 0 if probability == 0.0 else pasted >= 7

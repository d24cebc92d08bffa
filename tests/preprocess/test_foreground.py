"""Foreground masks: the part, not the plain background."""

import numpy as np

from aoikit.preprocess import foreground_mask


def _part_on_background(dark_part: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:128, :128]
    disc = (yy - 70) ** 2 + (xx - 60) ** 2 < 25**2
    image = np.where(disc, 0.3, 0.8) if dark_part else np.where(disc, 0.8, 0.3)
    return (image + rng.normal(0, 0.03, image.shape)).astype(np.float32), disc


def test_dark_and_bright_parts_are_found_with_a_margin() -> None:
    for dark in (True, False):
        image, disc = _part_on_background(dark)
        mask = foreground_mask(image, dilate=5)
        assert mask[disc].all()
        assert not mask[:20, :20].any() and not mask[-10:, -10:].any()
        assert mask.sum() < 1.6 * disc.sum()


def test_plain_image_is_all_foreground() -> None:
    assert foreground_mask(np.full((32, 32), 0.5, np.float32)).all()


def test_a_fixed_threshold_splits_like_otsu_and_one_nothing_crosses_finds_no_part() -> None:
    for dark in (True, False):
        image, disc = _part_on_background(dark)
        fixed = foreground_mask(image, dilate=0, threshold=0.55)
        assert (fixed == foreground_mask(image, dilate=0)).mean() > 0.99 and fixed[disc].mean() > 0.97
    assert not foreground_mask(_part_on_background(True)[0], dilate=0, threshold=0.95).any()

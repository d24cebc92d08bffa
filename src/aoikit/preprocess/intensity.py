"""Intensity matching: undo lighting drift between acquisition sessions."""

from collections.abc import Sequence

import numpy as np


def intensity_reference(images: Sequence[np.ndarray]) -> tuple[float, float]:
    """Mean grey level and contrast (standard deviation) of good images, averaged over images."""
    if not images:
        raise ValueError("intensity_reference needs at least one image")
    return float(np.mean([im.mean() for im in images])), float(np.mean([im.std() for im in images]))


def match_intensity(image: np.ndarray, reference: tuple[float, float]) -> np.ndarray:
    """Linearly rescale ``image`` to the reference mean and standard deviation, clipped to [0, 1].

    A plain image (zero contrast) is only shifted to the reference mean.
    """
    mean, std = float(image.mean()), float(image.std())
    ref_mean, ref_std = reference
    gain = ref_std / std if std > 1e-4 else 1.0
    return np.clip((image - mean) * gain + ref_mean, 0.0, 1.0).astype(np.float32)

"""Gamma correction fitted separately on the part and on its background.

Each region's grey level is summarised by its geometric mean (the mean of log grey), so a region brightened or
darkened by a pure gamma curve, ``image ** g``, is brought back exactly by the fitted ``1 / g``.
"""

from collections.abc import Iterable

import numpy as np

EPS = 1e-3
"""Grey levels are clipped to [EPS, 1 − EPS] before taking logs."""
MAX_GAMMA = 10.0
"""Fitted gammas are kept within [1 / MAX_GAMMA, MAX_GAMMA], so a near-white or near-black region stays finite."""


def _log_grey(values: np.ndarray) -> np.ndarray:
    return np.log(np.clip(values, EPS, 1.0 - EPS))


def gamma_reference(regions: Iterable[tuple[np.ndarray, np.ndarray]]) -> tuple[float, float]:
    """Geometric-mean grey of the part and of its background, averaged over good images.

    Args:
        regions: (image in [0, 1], bool part mask) pairs; an image whose part or background is empty does not
            count towards that region.

    Raises:
        ValueError: when no image has a part, or none has a background.
    """
    inside: list[float] = []
    outside: list[float] = []
    for image, mask in regions:
        for values, means in ((image[mask], inside), (image[~mask], outside)):
            if values.size:
                means.append(float(_log_grey(values).mean()))
    if not inside or not outside:
        raise ValueError("gamma_reference needs images with both a part and a background")
    return float(np.exp(np.mean(inside))), float(np.exp(np.mean(outside)))


def fit_gamma(values: np.ndarray, target: float) -> float:
    """The gamma that brings the geometric mean of ``values`` to ``target``: log(target) / mean(log values)."""
    gamma = float(np.log(np.clip(target, EPS, 1.0 - EPS)) / _log_grey(values).mean())
    return float(np.clip(gamma, 1.0 / MAX_GAMMA, MAX_GAMMA))


def correct_gamma(image: np.ndarray, mask: np.ndarray, reference: tuple[float, float]) -> np.ndarray:
    """``image`` with the part (``mask``) and the background each raised to the gamma fitted to its target
    geometric-mean grey in ``reference`` (part, background); an empty region is left alone."""
    out = image.astype(np.float32, copy=True)
    for region, target in ((mask, reference[0]), (~mask, reference[1])):
        if region.any():
            values = image[region]
            out[region] = np.clip(values, EPS, 1.0 - EPS) ** fit_gamma(values, target)
    return out

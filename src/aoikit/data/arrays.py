"""Load indexed samples into arrays."""

from collections.abc import Sequence

import numpy as np
from tqdm import tqdm

from aoikit.data.dataset import Sample
from aoikit.data.image_io import read_gray, read_mask


def load_images(samples: Sequence[Sample], desc: str | None = None) -> list[np.ndarray]:
    """Read images at native size as float32 grayscale in [0, 1]."""
    return [read_gray(s.path) for s in tqdm(samples, desc=desc, disable=desc is None, leave=False)]


def load_masks(samples: Sequence[Sample], images: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Ground-truth masks matching each image; all-False for samples without a mask."""
    return [
        np.zeros(im.shape, dtype=bool) if s.mask_path is None else read_mask(s.mask_path, im.shape)
        for s, im in zip(samples, images, strict=True)
    ]

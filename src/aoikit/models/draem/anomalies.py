"""Synthetic anomalies for DRAEM: Perlin-noise masks filled with foreign texture at a random opacity.

Texture comes from images bundled with scikit-image, from other good images of the training set and from
procedural patterns (stripes, blobs, noise); nothing is downloaded.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

BUNDLED = (
    "brick", "grass", "gravel", "camera", "coins", "moon", "text", "checkerboard", "page", "cell", "clock",
    "astronaut", "coffee", "chelsea", "hubble_deep_field", "immunohistochemistry",
)  # fmt: skip
"""scikit-image's bundled images used as foreign texture (converted to grey)."""


def perlin(shape: tuple[int, int], cells: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """2-D Perlin noise of ``shape`` with ``cells`` gradient cells per axis, roughly in [-1, 1]."""
    h, w = shape
    cy, cx = cells
    angles = rng.uniform(0, 2 * np.pi, (cy + 1, cx + 1))
    grad = np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    y = np.arange(h, dtype=np.float64) * cy / h
    x = np.arange(w, dtype=np.float64) * cx / w
    yi, xi = y.astype(int), x.astype(int)
    fy, fx = (y - yi)[:, None], (x - xi)[None, :]

    def corner(dy: int, dx: int) -> np.ndarray:
        g = grad[yi[:, None] + dy, xi[None, :] + dx]
        return g[..., 0] * (fy - dy) + g[..., 1] * (fx - dx)

    def fade(t: np.ndarray) -> np.ndarray:
        return 6 * t**5 - 15 * t**4 + 10 * t**3

    uy, ux = fade(fy), fade(fx)
    top = corner(0, 0) * (1 - ux) + corner(0, 1) * ux
    bottom = corner(1, 0) * (1 - ux) + corner(1, 1) * ux
    return np.sqrt(2) * (top * (1 - uy) + bottom * uy)


def perlin_mask(shape: tuple[int, int], rng: np.random.Generator, min_cell: int, max_cell: int) -> np.ndarray:
    """A binary mask: rotated Perlin noise with cells of 2^k pixels (``min_cell``..``max_cell``), above 0.5."""
    cell_y, cell_x = (2 ** rng.integers(np.log2(min_cell), np.log2(max_cell) + 1, size=2)).tolist()
    side = int(np.ceil(np.hypot(*shape)))  # large enough to rotate without empty corners
    noise = perlin((side, side), (max(1, -(-side // cell_y)), max(1, -(-side // cell_x))), rng)
    turn = cv2.getRotationMatrix2D((side / 2, side / 2), float(rng.uniform(-90, 90)), 1.0)
    noise = cv2.warpAffine(noise.astype(np.float32), turn, (side, side))
    y0, x0 = (side - shape[0]) // 2, (side - shape[1]) // 2
    return (noise[y0 : y0 + shape[0], x0 : x0 + shape[1]] > 0.5).astype(np.float32)


@lru_cache(maxsize=1)
def bundled_textures() -> tuple[np.ndarray, ...]:
    """scikit-image's bundled images as grey float32 in [0, 1] (read once)."""
    from skimage import color, data, util

    images = []
    for name in BUNDLED:
        image = getattr(data, name)()
        if image.ndim == 3:
            image = color.rgb2gray(image[..., :3])
        images.append(util.img_as_float32(image))
    return tuple(images)


def procedural_texture(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Stripes, Perlin blobs or speckle noise in [0, 1]."""
    h, w = shape
    kind = rng.integers(3)
    if kind == 0:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        angle, period = rng.uniform(0, np.pi), rng.uniform(3, 24)
        return 0.5 + 0.5 * np.sin(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period)
    if kind == 1:
        cells = int(rng.integers(2, 16))
        return np.clip(perlin(shape, (cells, cells), rng) + 0.5, 0, 1).astype(np.float32)
    return rng.uniform(0, 1, shape).astype(np.float32)


def _crop(image: np.ndarray, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A random ``shape`` window of ``image``, enlarged first when it is smaller, randomly flipped or turned."""
    h, w = shape
    scale = max(h / image.shape[0], w / image.shape[1], 1.0)
    if scale > 1.0:
        image = cv2.resize(image, (int(np.ceil(image.shape[1] * scale)), int(np.ceil(image.shape[0] * scale))))
    y = int(rng.integers(image.shape[0] - h + 1))
    x = int(rng.integers(image.shape[1] - w + 1))
    out = image[y : y + h, x : x + w]
    if rng.random() < 0.5:
        out = out[:, ::-1]
    return np.ascontiguousarray(out[::-1] if rng.random() < 0.5 else out)


def _jitter(texture: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random gamma, contrast, brightness and inversion of a [0, 1] texture."""
    out = np.clip(texture, 0, 1) ** rng.uniform(0.5, 2.0)
    out = (out - out.mean()) * rng.uniform(0.5, 1.5) + out.mean() + rng.uniform(-0.3, 0.3)
    if rng.random() < 0.3:
        out = 1.0 - out
    return np.clip(out, 0, 1).astype(np.float32)


@dataclass
class AnomalySynthesizer:
    """Paste foreign texture through Perlin masks onto good images.

    ``probability``: share of images that get an anomaly (the rest stay good, with an empty mask).
    ``min_cell``/``max_cell``: range of Perlin cell sizes in pixels (powers of 2). ``max_opacity``: the
    image shows through the texture with a weight drawn from [0, max_opacity].
    """

    probability: float = 0.5
    min_cell: int = 8
    max_cell: int = 128
    max_opacity: float = 0.8

    def texture(self, shape: tuple[int, int], rng: np.random.Generator, good: Sequence[np.ndarray]) -> np.ndarray:
        """Foreign texture of ``shape``: bundled (1/2), another good image (1/4) or procedural (1/4)."""
        draw = rng.random()
        if draw < 0.5 or not good:
            source = bundled_textures()[rng.integers(len(BUNDLED))]
        elif draw < 0.75:
            source = good[int(rng.integers(len(good)))]
        else:
            return _jitter(procedural_texture(shape, rng), rng)
        return _jitter(_crop(source, shape, rng), rng)

    def __call__(
        self, image: np.ndarray, rng: np.random.Generator, good: Sequence[np.ndarray] = ()
    ) -> tuple[np.ndarray, np.ndarray]:
        """The image with an anomaly (or unchanged) and its float32 mask; ``good`` lends texture."""
        shape = (image.shape[0], image.shape[1])
        if rng.random() >= self.probability:
            return image, np.zeros(shape, np.float32)
        mask = perlin_mask(shape, rng, self.min_cell, self.max_cell)
        texture = self.texture(shape, rng, good)
        opacity = rng.uniform(0, self.max_opacity)
        out = image * (1 - mask) + mask * ((1 - opacity) * texture + opacity * image)
        return out.astype(np.float32), mask

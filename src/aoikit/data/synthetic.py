"""A small MVTec-layout dataset cut from the textures scikit-image ships, with painted defects."""

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage import data

TEXTURES: dict[str, Callable[[], np.ndarray]] = {"brick": data.brick, "grass": data.grass, "gravel": data.gravel}
DEFECT_KINDS = ("scratch", "blob", "smooth")


def _centre(rng: np.random.Generator, shape: tuple[int, ...], margin: float) -> tuple[int, int]:
    """A random (x, y) point at least ``margin`` pixels from the border."""
    h, w = shape
    return int(rng.uniform(margin, w - margin)), int(rng.uniform(margin, h - margin))


def _scratch(image: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Thin dark or bright line segments, 2–4 px wide, covering at least 0.5% of the image."""
    h, w = image.shape
    mask = np.zeros((h, w), np.uint8)
    while mask.mean() < 0.005 or rng.random() < 0.3:
        length = rng.uniform(0.3, 0.6) * min(h, w)
        x, y = _centre(rng, (h, w), length / 2)
        angle = rng.uniform(0, np.pi)
        dx, dy = 0.5 * length * np.cos(angle), 0.5 * length * np.sin(angle)
        ends = (round(x - dx), round(y - dy)), (round(x + dx), round(y + dy))
        cv2.line(mask, *ends, color=1, thickness=int(rng.integers(2, 5)))
    target = 0.0 if rng.random() < 0.5 else 1.0
    alpha = rng.uniform(0.6, 0.8) * mask
    return image + alpha * (target - image), mask > 0


def _ellipse(rng: np.random.Generator, shape: tuple[int, ...], area: float) -> np.ndarray:
    """A randomly placed and oriented filled ellipse of about ``area`` pixels, as a 0/1 uint8 mask."""
    ratio = rng.uniform(0.4, 1.0)
    a = np.sqrt(area / (np.pi * ratio))
    mask = np.zeros(shape, np.uint8)
    axes = (round(a), max(round(a * ratio), 1))
    cv2.ellipse(mask, _centre(rng, shape, a + 1), axes, rng.uniform(0, 180), 0, 360, color=1, thickness=-1)
    return mask


def _blob(image: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """An elliptical dark or bright stain, strongest in its middle, through which the texture still shows."""
    mask = _ellipse(rng, image.shape, rng.uniform(0.01, 0.03) * image.size)
    profile = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.15 * np.sqrt(mask.sum())) * mask
    alpha = rng.uniform(0.45, 0.75) * profile / profile.max()
    target = 0.0 if rng.random() < 0.5 else 1.0
    return image + alpha * (target - image), mask > 0


def _smooth(image: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A patch where the texture is replaced by its blurred version or by flat grey.

    The mask holds only the pixels that visibly changed (by more than 4% of the range, after a light
    blur and closing): where the texture was already smooth, blurring it leaves nothing to find. The
    patch is placed again until at least 0.5% of the image changed; only masked pixels are repainted.
    """
    while True:
        inside = _ellipse(rng, image.shape, rng.uniform(0.015, 0.035) * image.size) > 0
        if rng.random() < 0.5:
            fill = cv2.GaussianBlur(image, (0, 0), 0.02 * min(image.shape) + 2)
        else:
            fill = np.full_like(image, image[inside].mean())
        painted = np.where(inside, fill, image)
        change = cv2.GaussianBlur(np.abs(painted - image), (0, 0), 1.5) > 0.04
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
        mask = cv2.morphologyEx(change.astype(np.uint8), cv2.MORPH_CLOSE, kernel).astype(bool) & inside
        if mask.mean() >= 0.005:
            return np.where(mask, fill, image), mask


def add_defect(image: np.ndarray, rng: np.random.Generator, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Paint one defect of ``kind`` (scratch, blob or smooth) on a float32 H×W image in [0, 1].

    Returns:
        The new float32 image and the bool mask of the pixels the defect covers.
    """
    painters = {"scratch": _scratch, "blob": _blob, "smooth": _smooth}
    if kind not in painters:
        raise ValueError(f"unknown defect kind {kind!r}; choose one of {', '.join(DEFECT_KINDS)}")
    painted, mask = painters[kind](image.astype(np.float32), rng)
    return painted.astype(np.float32), mask


def _crop(texture: np.ndarray, rng: np.random.Generator, size: int, zoom: float) -> np.ndarray:
    """A random square crop of the texture, 0.8–1.0 of up to 1.25×``size``/``zoom`` wide, resized to ``size``."""
    widest = min(min(texture.shape), round(1.25 * size / zoom))
    side = int(rng.integers(round(0.8 * widest), widest + 1))
    y, x = (int(rng.integers(0, d - side + 1)) for d in texture.shape)
    crop = texture[y : y + side, x : x + side]
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(crop, (size, size), interpolation=interpolation)


def _save(pixels: np.ndarray, path: Path) -> None:
    """Write a uint8 array as a grayscale PNG, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, compress_level=1)


def make_synthetic_dataset(
    root: Path,
    *,
    texture: str = "brick",
    size: int = 256,
    n_train: int = 40,
    n_test_good: int = 8,
    n_test_defect: int = 24,
    seed: int = 0,
    zoom: float = 1.0,
) -> Path:
    """Write an MVTec AD category ``root/<texture>`` of 8-bit grayscale PNG crops and return its path.

    ``zoom`` > 1 magnifies the texture (smaller crops resized up to ``size``).

    Test defects cycle through scratch, blob and smooth, each with a 0/255 mask in ``ground_truth/``.
    The same arguments always write the same files; files of the same name are overwritten.
    """
    if texture not in TEXTURES:
        raise ValueError(f"unknown texture {texture!r}; choose one of {', '.join(TEXTURES)}")
    rng = np.random.default_rng(seed)
    source = TEXTURES[texture]()
    folder = Path(root) / texture
    for i in range(n_train):
        _save(_crop(source, rng, size, zoom), folder / "train" / "good" / f"{i:03d}.png")
    for i in range(n_test_good):
        _save(_crop(source, rng, size, zoom), folder / "test" / "good" / f"{i:03d}.png")
    for i in range(n_test_defect):
        kind = DEFECT_KINDS[i % len(DEFECT_KINDS)]
        image, mask = add_defect(_crop(source, rng, size, zoom) / np.float32(255), rng, kind)
        index = i // len(DEFECT_KINDS)
        _save(np.round(image * 255).astype(np.uint8), folder / "test" / kind / f"{index:03d}.png")
        _save(mask.astype(np.uint8) * 255, folder / "ground_truth" / kind / f"{index:03d}_mask.png")
    return folder

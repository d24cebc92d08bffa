"""Find image files in folders, read images and masks as grayscale arrays, and resize them."""

import io
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from aoikit.errors import DataError

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"})
MAX_PIXELS = 1 << 26
"""Largest image read (64 megapixels, e.g. 8192 × 8192): larger ones, or files claiming to be, are refused
before decoding (decompression bombs)."""


def list_images(folder: Path) -> list[Path]:
    """Image files directly inside ``folder``, sorted by name; hidden files are skipped."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".")
    )


def list_subfolders(folder: Path) -> list[Path]:
    """Non-hidden folders directly inside ``folder``, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def require_folder(folder: Path, what: str) -> Path:
    """Return ``folder``, or raise ``DataError`` saying which folder the layout expects there."""
    if not folder.is_dir():
        raise DataError(folder, f"missing folder ({what})")
    return folder


def _decode(path: Path) -> np.ndarray:
    """Fully decode one image file to a float32 grayscale array in [0, 1]."""
    if not path.is_file():
        raise DataError(path, "is a folder, not an image file" if path.is_dir() else "file not found")
    if path.stat().st_size == 0:
        raise DataError(path, "empty file (0 bytes)")
    return _pixels(path, path)


def _pixels(source: Path | io.BytesIO, path: Path) -> np.ndarray:
    """Fully decode the image in ``source`` (named ``path`` in errors) to float32 grayscale in [0, 1]."""
    try:
        with Image.open(source) as im:
            width, height = im.size
            if width * height > MAX_PIXELS:
                raise DataError(path, f"{width}×{height} pixels is over the limit of {MAX_PIXELS >> 20} megapixels")
            im.load()  # decode every byte now, so cut-short files fail here
            raw = im.mode.startswith("I") or im.mode == "F"  # 16/32-bit integer or float: keep the depth
            pixels = np.asarray(im if raw else im.convert("L"))
    except DataError:
        raise
    except UnidentifiedImageError:
        raise DataError(path, "not an image, or a format Pillow cannot read") from None
    except Image.DecompressionBombError as err:
        raise DataError(path, f"over the limit of {MAX_PIXELS >> 20} megapixels ({err})") from None
    except (OSError, SyntaxError, ValueError) as err:
        problem = (
            "image file is cut short (truncated)" if "truncated" in str(err).lower() else f"unreadable image ({err})"
        )
        raise DataError(path, problem) from err
    if pixels.dtype == np.uint8:
        return pixels.astype(np.float32) / 255.0
    if pixels.dtype.kind in "ui":
        return np.clip(pixels.astype(np.float32) / 65535.0, 0.0, 1.0)
    raise DataError(path, "floating-point images are not supported; save it as 8- or 16-bit")


def read_gray(path: Path) -> np.ndarray:
    """Read an 8- or 16-bit image as float32 H×W grayscale in [0, 1]; colour is converted to luma.

    Raises:
        DataError: the file is missing, empty, not an image, or cut short.
    """
    return _decode(Path(path))


def decode_gray(data: bytes, name: str) -> np.ndarray:
    """:func:`read_gray` of an image file's bytes; ``name`` stands for the file in errors.

    Raises:
        DataError: the bytes are empty, not an image, or cut short.
    """
    if not data:
        raise DataError(Path(name), "empty file (0 bytes)")
    return _pixels(io.BytesIO(data), Path(name))


def read_mask(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    """Read a ground-truth mask as a bool H×W array (any non-zero pixel is True).

    Raises:
        DataError: the mask is unreadable or its size differs from ``shape`` (the image's H×W).
    """
    mask = _decode(Path(path)) > 0
    if mask.shape != tuple(shape):
        h, w = mask.shape
        raise DataError(path, f"mask size {h}×{w} (H×W) differs from its image size {shape[0]}×{shape[1]}")
    return mask


def _hw(size: int | tuple[int, int]) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


def resize_gray(image: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Resize a float32 H×W image to ``size`` (side, or (height, width)): area when shrinking, else bilinear."""
    h, w = _hw(size)
    shrink = h <= image.shape[0] and w <= image.shape[1]
    interpolation = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    return cv2.resize(image.astype(np.float32, copy=False), (w, h), interpolation=interpolation)


def resize_mask(mask: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Resize a bool H×W mask to ``size`` (side, or (height, width)) by nearest neighbour."""
    h, w = _hw(size)
    return cv2.resize(mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST_EXACT) > 0

"""The images inside a label dataset: copies under unique names, so the folder stands alone and can be moved."""

import shutil
from pathlib import Path

import cv2
from PIL import Image

from aoikit.data.image_io import IMAGE_EXTENSIONS
from aoikit.data.naming import unique_stems
from aoikit.errors import DataError
from aoikit.labels.image_labels import ImageLabels

BROWSER_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp"})
"""Image files web browsers show (TIFF they do not)."""


def copy_images(labels: list[ImageLabels], folder: Path, kept: frozenset[str] = IMAGE_EXTENSIONS) -> list[Path]:
    """Copy each image of ``labels`` into ``folder`` as ``<unique stem><suffix>``, in order.

    Stems come from :func:`~aoikit.data.naming.unique_stems`, so label files named after them pair with
    their image; suffixes are lower-cased. An image whose suffix is not in ``kept`` (the files the
    dataset's tool opens) is written as PNG with its pixels unchanged (bit depth and channels kept).

    Raises:
        DataError: an image is missing, or cannot be read or written as PNG.
    """
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for item, stem in zip(labels, unique_stems([item.image_path for item in labels]), strict=True):
        source = Path(item.image_path)
        if not source.is_file():
            raise DataError(source, "image not found (a label dataset holds a copy of each image)")
        suffix = source.suffix.lower()
        target = folder / f"{stem}{suffix if suffix in kept else '.png'}"
        if target.exists() and target.samefile(source):
            pass  # written into the folder it reads from
        elif suffix in kept:
            shutil.copyfile(source, target)
        else:
            _convert_to_png(source, target)
        copies.append(target)
    return copies


def _convert_to_png(source: Path, target: Path) -> None:
    pixels = cv2.imread(str(source), cv2.IMREAD_UNCHANGED)
    if pixels is None:
        raise DataError(source, "cannot be read to convert it to PNG for the label dataset")
    try:
        if not cv2.imwrite(str(target), pixels):
            raise DataError(source, f"cannot be written as PNG ({pixels.dtype} pixels)")
    except cv2.error as err:
        raise DataError(source, f"cannot be written as PNG ({pixels.dtype} pixels: {err})") from None


def image_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` of an image file, from its header."""
    with Image.open(path) as image:
        return image.size


def image_depth(path: Path) -> int:
    """Number of channels of an image file (1 for grey, 3 for RGB), from its header."""
    with Image.open(path) as image:
        return len(image.getbands())

"""Part crops: the part's outline, its minimum-area rectangle stood upright, and the crop around it."""

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np


class Rectangle(NamedTuple):
    """A rotated rectangle: its centre (x, y), the sides that end up across and along, and the turn (degrees,
    counter-clockwise, as :func:`cv2.getRotationMatrix2D`) that stands its long side vertical."""

    centre: tuple[float, float]
    width: float
    height: float
    angle: float


@dataclass(frozen=True)
class Crop:
    """Where a crop came from: the 2×3 affine transform from the image into the crop, and the crop's size."""

    matrix: np.ndarray
    width: int
    height: int


def largest_contour(mask: np.ndarray) -> np.ndarray | None:
    """Outline (N×1×2 points) of the largest connected region of a bool mask; None when the mask is empty."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return max(contours, key=cv2.contourArea) if contours else None


def upright_rectangle(contour: np.ndarray) -> Rectangle:
    """The contour's minimum-area rectangle, its sides counted in pixels covered, and the smallest turn (within
    ±90°) that stands its long side vertical. A part lying flat may come out either way up."""
    corners = cv2.boxPoints(cv2.minAreaRect(contour))
    first, second = corners[1] - corners[0], corners[2] - corners[1]
    long, short = (first, second) if np.hypot(*first) >= np.hypot(*second) else (second, first)
    angle = float(np.degrees(np.arctan2(long[1], long[0]))) % 180.0 - 90.0
    cx, cy = corners.mean(axis=0)
    return Rectangle((float(cx), float(cy)), float(np.hypot(*short)) + 1.0, float(np.hypot(*long)) + 1.0, angle)


def crop_transform(rectangle: Rectangle, margin: float) -> Crop:
    """The crop that holds ``rectangle`` upright and centred, grown by ``margin`` × each side at both ends."""
    width = max(1, round(rectangle.width * (1.0 + 2.0 * margin)))
    height = max(1, round(rectangle.height * (1.0 + 2.0 * margin)))
    cx, cy = rectangle.centre
    matrix = np.asarray(cv2.getRotationMatrix2D((cx, cy), rectangle.angle, 1.0), dtype=np.float64)
    matrix[:, 2] += np.array([(width - 1) / 2 - cx, (height - 1) / 2 - cy])
    return Crop(matrix, width, height)


def crop_part(image: np.ndarray, mask: np.ndarray, margin: float) -> tuple[np.ndarray, Crop]:
    """The largest part of ``mask`` cut out of ``image`` upright with a margin (borders replicated), and the
    crop; the whole image, grown by the margin, when the mask is empty."""
    contour = largest_contour(mask)
    if contour is None:
        h, w = image.shape
        rectangle = Rectangle(((w - 1) / 2, (h - 1) / 2), float(w), float(h), 0.0)
    else:
        rectangle = upright_rectangle(contour)
    crop = crop_transform(rectangle, margin)
    size = (crop.width, crop.height)
    cropped = cv2.warpAffine(image, crop.matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return cropped, crop

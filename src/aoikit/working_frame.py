"""How an image enters a detector's working frame and how its maps leave it, the same for every family.

Intensity matching, part alignment and resizing on the way in; back to the image's own frame and size on the way
out. :class:`WorkingFrame` is the part of :class:`aoikit.detector.Detector` that does it.
"""

import warnings
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Self

import cv2
import numpy as np

from aoikit.data.image_io import resize_gray
from aoikit.detector_config import DetectorConfig
from aoikit.errors import AoikitError
from aoikit.preprocess import align_part, intensity_reference, match_intensity, unalign
from aoikit.types import LabelledImage

MAX_DISTORTION = 4.0
"""Resizing an image to the working frame warns when it stretches one side, or enlarges it, more than this."""


class WorkingFrame(ABC):
    """Preparation of images for a detector's network, and of its maps for the image; fitted references end in
    ``_``."""

    config: DetectorConfig

    @property
    @abstractmethod
    def working_size(self) -> int:
        """Side of the square working frame images are resized to."""

    def fit_intensity(self, good_images: Sequence[np.ndarray]) -> Self:
        """Learn the grey level and contrast every image is matched to (``match_intensity``)."""
        self.intensity_ = intensity_reference(good_images)
        return self

    def _prepare(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The image in the working frame (intensity matched, resized, aligned as configured) and the
        alignment transform, None when not aligning."""
        if image.ndim != 2:
            raise AoikitError(f"expected a 2-D grayscale image, got shape {image.shape}")
        if self.config.match_intensity:
            if not hasattr(self, "intensity_"):
                raise AoikitError("match_intensity is on but no reference is fitted: call fit_intensity() first")
            image = match_intensity(image, self.intensity_)
        size = self.working_size
        if image.shape != (size, size):
            _warn_if_distorted(image.shape, size)
        resized = image if image.shape == (size, size) else resize_gray(image, size)
        return align_part(resized) if self.config.align else (resized, None)

    def _prepare_labelled(self, item: LabelledImage) -> LabelledImage:
        """A labelled image in the working frame, its mask resized with it (nearest neighbour)."""
        if item.mask.shape != item.image.shape:
            raise AoikitError(f"a mask of shape {item.mask.shape} for an image of shape {item.image.shape}")
        image, matrix = self._prepare(item.image)
        if matrix is not None:
            raise AoikitError("align is not available for labelled training images")
        size = self.working_size
        mask = cv2.resize(item.mask.astype(np.uint8), (size, size), interpolation=cv2.INTER_NEAREST) > 0
        return LabelledImage(image, mask, item.defect_type)

    @staticmethod
    def _to_image(array: np.ndarray, matrix: np.ndarray | None, like: np.ndarray, fill: float | None) -> np.ndarray:
        """An array from the working frame back in the frame and size of the image ``like``."""
        native = array if matrix is None else unalign(array, matrix, fill)
        return native if native.shape == like.shape else resize_gray(native, (like.shape[0], like.shape[1]))


def _warn_if_distorted(shape: tuple[int, ...], size: int) -> None:
    """Warn when the square working frame enlarges an image or changes its aspect ratio by more than 4×."""
    h, w = shape[:2]
    if size / min(h, w) > MAX_DISTORTION or max(h, w) / min(h, w) > MAX_DISTORTION:
        warnings.warn(
            f"a {h}×{w} image is resized to the {size}×{size} working frame: details may be lost or invented",
            stacklevel=3,
        )

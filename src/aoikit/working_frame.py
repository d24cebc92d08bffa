"""How an image enters a detector's working frame and how its maps leave it, the same for every family.

Intensity matching, gamma correction, part crops, resizing and part alignment on the way in; back to the image's
own frame and size on the way out. :class:`WorkingFrame` is the part of :class:`aoikit.detector.Detector` that does it.
"""

import warnings
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Self, TypeAlias

import cv2
import numpy as np

from aoikit.data.image_io import resize_gray
from aoikit.detector_config import DetectorConfig
from aoikit.errors import AoikitError
from aoikit.preprocess import (
    Crop,
    align_part,
    correct_gamma,
    crop_part,
    foreground_mask,
    gamma_reference,
    intensity_reference,
    match_intensity,
    unalign,
)
from aoikit.types import LabelledImage

MAX_DISTORTION = 4.0
"""Resizing an image to the working frame warns when it stretches one side, or enlarges it, more than this."""
REFERENCES = ("intensity_", "gamma_")
"""Fitted pairs of grey levels images are matched to (``match_intensity``, ``gamma``), saved with the thresholds."""
Transform: TypeAlias = np.ndarray | Crop | None
"""How a working-frame image was cut from its image: an alignment matrix, a part crop, or neither."""


class WorkingFrame(ABC):
    """Preparation of images for a detector's network, and of its maps for the image; fitted references end in
    ``_``."""

    config: DetectorConfig

    @property
    @abstractmethod
    def working_size(self) -> int:
        """Side of the square working frame images are resized to (the short side, for a family that keeps the
        aspect ratio)."""

    def working_shape(self, shape: tuple[int, int]) -> tuple[int, int]:
        """(height, width) of the working frame for an image (or part crop) of ``shape``: a square by default."""
        return self.working_size, self.working_size

    def fit_intensity(self, good_images: Sequence[np.ndarray]) -> Self:
        """Learn the grey level and contrast every image is matched to (``match_intensity``)."""
        self.intensity_ = intensity_reference(good_images)
        return self

    def fit_gamma(self, good_images: Sequence[np.ndarray]) -> Self:
        """Learn the geometric-mean grey of the part and of its background (``gamma``), after intensity matching."""
        matched = (self._matched(im) for im in good_images)
        try:
            self.gamma_ = gamma_reference((im, self._part_mask(im)) for im in matched)
        except ValueError as exc:
            raise AoikitError(f"gamma: {exc}") from None
        return self

    def _fit_references(self, good_images: Sequence[np.ndarray], refit: bool) -> None:
        """Fit the intensity and gamma references the configuration asks for (with ``refit`` False: missing ones)."""
        if self.config.match_intensity and (refit or not hasattr(self, "intensity_")):
            self.fit_intensity(good_images)
        if self.config.gamma and (refit or not hasattr(self, "gamma_")):
            self.fit_gamma(good_images)

    def _prepare(self, image: np.ndarray) -> tuple[np.ndarray, Transform]:
        """The image in the working frame (intensity matched, gamma corrected, cut to its part, resized and
        aligned as configured) and how it was cut from the image."""
        if image.ndim != 2:
            raise AoikitError(f"expected a 2-D grayscale image, got shape {image.shape}")
        image, crop = self._corrected(self._matched(image))
        shape = self.working_shape((image.shape[0], image.shape[1]))
        if image.shape != shape:
            _warn_if_distorted(image.shape, shape)
        resized = image if image.shape == shape else resize_gray(image, shape)
        return align_part(resized) if self.config.align else (resized, crop)

    def _matched(self, image: np.ndarray) -> np.ndarray:
        """The image matched to the intensity reference when ``match_intensity`` is on."""
        if not self.config.match_intensity:
            return image
        if not hasattr(self, "intensity_"):
            raise AoikitError("match_intensity is on but no reference is fitted: call fit_intensity() first")
        return match_intensity(image, self.intensity_)

    def _part_mask(self, image: np.ndarray) -> np.ndarray:
        return foreground_mask(image, dilate=0, threshold=self.config.part_threshold)

    def _corrected(self, image: np.ndarray) -> tuple[np.ndarray, Crop | None]:
        """The image gamma corrected and cut to its part as configured, and the crop (None when not cropping)."""
        cfg = self.config
        if not cfg.gamma and cfg.roi == "none":
            return image, None
        mask = self._part_mask(image)
        if cfg.gamma:
            if not hasattr(self, "gamma_"):
                raise AoikitError("gamma is on but no reference is fitted: call fit_gamma() first")
            image = correct_gamma(image, mask, self.gamma_)
        return crop_part(image, mask, cfg.roi_margin) if cfg.roi != "none" else (image, None)

    def _prepare_labelled(self, item: LabelledImage) -> LabelledImage:
        """A labelled image in the working frame, its mask resized with it (nearest neighbour)."""
        if item.mask.shape != item.image.shape:
            raise AoikitError(f"a mask of shape {item.mask.shape} for an image of shape {item.image.shape}")
        image, transform = self._prepare(item.image)
        if transform is not None:
            raise AoikitError("align and roi are not available for labelled training images")
        h, w = image.shape
        mask = cv2.resize(item.mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
        return LabelledImage(image, mask, item.defect_type)

    @staticmethod
    def _to_image(array: np.ndarray, transform: Transform, like: np.ndarray, fill: float | None) -> np.ndarray:
        """An array from the working frame back in the frame and size of the image ``like``; pixels the working
        frame did not cover get ``fill`` (the nearest covered value when None)."""
        if isinstance(transform, Crop):
            cropped = resize_gray(array, (transform.height, transform.width))
            return unalign(cropped, transform.matrix, fill, like.shape)
        native = array if transform is None else unalign(array, transform, fill)
        return native if native.shape == like.shape else resize_gray(native, (like.shape[0], like.shape[1]))


def _warn_if_distorted(shape: tuple[int, ...], frame: tuple[int, int]) -> None:
    """Warn when the working frame enlarges an image or changes its aspect ratio by more than 4×."""
    h, w = shape[:2]
    fh, fw = frame
    stretch = max(h / w, w / h) / max(fh / fw, fw / fh)
    if max(fh / h, fw / w) > MAX_DISTORTION or max(stretch, 1 / stretch) > MAX_DISTORTION:
        warnings.warn(
            f"a {h}×{w} image is resized to the {fh}×{fw} working frame: details may be lost or invented",
            stacklevel=3,
        )

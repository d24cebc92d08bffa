"""The settings every model family shares; each family's configuration subclasses :class:`DetectorConfig`."""

from dataclasses import dataclass, field
from typing import Any

from aoikit.errors import AoikitError, check_fraction, check_window
from aoikit.losses.ssim import WINDOW
from aoikit.metrics.calibration import AREA_QUANTILE, IMAGE_QUANTILE, PIXEL_QUANTILE

ROI_SPLITS = ("none", "otsu")
IMAGE_SCORES = ("max", "area")


@dataclass
class DetectorConfig:
    """Settings every family shares; each family's config adds its own and the default ``model``.

    ``window``: SSIM window of the maps (odd, ≥ 3). ``pixel_quantile`` / ``image_quantile``: quantiles of
    held-out good pixels / image scores used as thresholds. ``match_intensity``: match each image's grey level
    and contrast to the training images'. ``align``: turn every image's part to one pose first
    (:func:`aoikit.preprocess.align_part`); maps come back in the image's own frame.

    ``roi``: cut every image to its part first. "otsu" or a fixed grey level in (0, 1) splits the (intensity
    matched) image into part and background (:func:`aoikit.preprocess.foreground_mask`); the largest part's
    minimum-area rectangle is stood upright and cropped with ``roi_margin`` × its sides at each end
    (:func:`aoikit.preprocess.crop_part`); "none" keeps the whole image. Maps come back in the image's own frame,
    where pixels outside the crop score 0. ``roi`` and ``align`` both set the part's pose: use one. ``gamma``:
    raise the part and its background each to the gamma that brings its geometric-mean grey to that of good
    training images (:func:`aoikit.preprocess.correct_gamma`), the part split off as ``roi`` says (by Otsu's
    threshold when "none").
    """

    model: str
    model_config: dict[str, Any] = field(default_factory=dict)
    window: int = WINDOW
    pixel_quantile: float = PIXEL_QUANTILE
    image_quantile: float = IMAGE_QUANTILE
    match_intensity: bool = False
    align: bool = False
    roi: str | float = "none"
    roi_margin: float = 0.05
    gamma: bool = False

    def __post_init__(self) -> None:
        check_window(self.window)
        check_fraction(self.pixel_quantile, "pixel_quantile")
        check_fraction(self.image_quantile, "image_quantile")
        if not (self.roi in ROI_SPLITS if isinstance(self.roi, str) else 0.0 < self.roi < 1.0):
            raise AoikitError(f"roi must be 'none', 'otsu' or a grey level in (0, 1), got {self.roi!r}")
        if not 0.0 <= self.roi_margin <= 1.0:
            raise AoikitError(f"roi_margin must lie in [0, 1], got {self.roi_margin}")
        if self.roi != "none" and self.align:
            raise AoikitError("roi and align both set the part's pose: use one of them")

    @property
    def part_threshold(self) -> float | None:
        """Grey level that splits part from background for ``roi`` and ``gamma``; None for Otsu's."""
        return None if isinstance(self.roi, str) else float(self.roi)


@dataclass
class MapScoreConfig(DetectorConfig):
    """Settings of the families whose image score comes from their map: ``image_score`` "max" of the map smoothed
    with ``score_sigma`` (pixels of the image's own size), or "area", the share of pixels above the
    ``area_quantile`` of held-out good pixels (``area_threshold_``)."""

    score_sigma: float = 4.0
    image_score: str = "max"
    area_quantile: float = AREA_QUANTILE

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.image_score not in IMAGE_SCORES:
            raise AoikitError(f"image_score must be one of {IMAGE_SCORES}, got {self.image_score!r}")
        if self.score_sigma < 0:
            raise AoikitError(f"score_sigma must be ≥ 0, got {self.score_sigma}")
        check_fraction(self.area_quantile, "area_quantile")

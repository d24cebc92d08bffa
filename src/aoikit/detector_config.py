"""The settings every model family shares; each family's configuration subclasses :class:`DetectorConfig`."""

from dataclasses import dataclass, field
from typing import Any

from aoikit.errors import AoikitError


@dataclass
class DetectorConfig:
    """Settings every family shares; each family's config adds its own.

    ``window``: SSIM window of the maps (odd, ≥ 3). ``pixel_quantile`` / ``image_quantile``: quantiles of
    held-out good pixels / image scores used as thresholds. ``match_intensity``: match each image's grey level
    and contrast to the training images'. ``align``: turn every image's part to one pose first
    (:func:`aoikit.preprocess.align_part`); maps come back in the image's own frame.
    """

    model: str = "ssim_ae"
    model_config: dict[str, Any] = field(default_factory=dict)
    window: int = 11
    pixel_quantile: float = 0.999
    image_quantile: float = 0.99
    match_intensity: bool = False
    align: bool = False

    def __post_init__(self) -> None:
        if self.window < 3 or self.window % 2 == 0:
            raise AoikitError(f"window must be an odd number ≥ 3, got {self.window}")
        for name in ("pixel_quantile", "image_quantile"):
            if not 0.0 < getattr(self, name) < 1.0:
                raise AoikitError(f"{name} must lie strictly between 0 and 1, got {getattr(self, name)}")

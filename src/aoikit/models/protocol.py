"""What code outside ``models/`` may ask of a family beyond :class:`aoikit.detector.Detector`: a tuning space
(``aoikit tune``), a comparison table with baselines (``aoikit compare``) and defect types (the service's
supervised judge). A family offers each by setting a class attribute or having the methods; nothing outside its
folder names it."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from torch import nn

from aoikit.detector_config import DetectorConfig


class SearchGrid(Protocol):
    """The choices of each tuned value."""

    def choices(self) -> dict[str, tuple[float, ...]]:
        """Each parameter name with its choices, in increasing order."""
        ...

    def capped(self, max_size: int | None, max_latent: int | None) -> "SearchGrid":
        """This grid without image sizes above ``max_size`` or latent sizes above ``max_latent`` (None: no cap)."""
        ...


@dataclass(frozen=True)
class Tuning:
    """How ``aoikit tune`` searches a family: a coarse grid (stages 1 and 2), a fine one (stage 3), the detector
    configuration at a point (``at_point(base, params, width)``) and the raw image scores of a network while it
    trains (``epoch_scores(detector, network, images)``, reported to the pruner after each epoch)."""

    coarse: SearchGrid
    fine: SearchGrid
    at_point: Callable[[Any, dict[str, Any], int | None], DetectorConfig]
    epoch_scores: Callable[[Any, nn.Module, Sequence[np.ndarray]], np.ndarray]


@runtime_checkable
class Comparable(Protocol):
    """A detector ``aoikit compare`` can table: its raw scores, a table row with its baselines and latency, and
    normalised scores for the histograms."""

    image_threshold_: float

    def raw_scores(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Raw image scores, one per image (the AUROC's input)."""
        ...

    def table_row(
        self,
        name: str,
        images: Sequence[np.ndarray],
        labels: np.ndarray,
        seed: int,
        frames: int,
        scores: np.ndarray | None = None,
    ) -> dict[str, Any]:
        """Image AUROC of the model and of its baselines on ``images``, its size and per-frame latency."""
        ...

    def histogram_scores(self, images: Sequence[np.ndarray], test_minmax: bool) -> tuple[np.ndarray, str]:
        """Normalised scores of ``images`` and where the normalisation came from."""
        ...


@runtime_checkable
class NamesDefects(Protocol):
    """A calibrated supervised detector that names defect types."""

    family: str
    classes_: Sequence[str]
    threshold_: float

    def class_probabilities(self, image: np.ndarray) -> np.ndarray:
        """(classes, H, W): each class's probability at each pixel (class 0: background)."""
        ...

    def type_in(self, type_probs: np.ndarray) -> str:
        """The defect type with the most probability in ``type_probs`` (classes 1, 2, … per pixel)."""
        ...

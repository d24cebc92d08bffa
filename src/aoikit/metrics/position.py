"""Per-position statistics of good residual maps, to score a residual against what good parts show there."""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class PositionStats:
    """Mean and standard deviation of good residual maps at every pixel of a fixed (aligned) frame.

    ``floor`` is the median standard deviation over the pixels where it is not zero; adding it to every
    pixel's deviation keeps positions where good maps happened to agree from amplifying noise. ``offset`` is
    the largest mean / (std + floor): adding it makes every standard score of a non-negative residual
    non-negative, so masked-out pixels (0) still rank lowest.
    """

    mean: np.ndarray
    std: np.ndarray
    floor: float

    @classmethod
    def fit(cls, good_maps: Sequence[np.ndarray]) -> "PositionStats":
        """Statistics of equally sized residual maps of good images, in one frame."""
        if len(good_maps) < 2:
            raise ValueError("position statistics need at least two good maps")
        stack = np.stack([np.asarray(m, np.float64) for m in good_maps])
        mean, std = stack.mean(axis=0), stack.std(axis=0)
        spread = std[std > 0]
        floor = float(np.median(spread)) if spread.size else 1.0
        return cls(mean.astype(np.float32), std.astype(np.float32), floor)

    @cached_property
    def offset(self) -> float:
        """Shift that makes the standard score of a zero residual non-negative at every position."""
        return float(np.max(self.mean / (self.std + self.floor)))

    def standardise(self, residual: np.ndarray) -> np.ndarray:
        """(residual − mean) / (std + floor) + offset, pixel by pixel."""
        if residual.shape != self.mean.shape:
            raise ValueError(f"residual map {residual.shape} does not match the statistics' frame {self.mean.shape}")
        return ((residual - self.mean) / (self.std + self.floor) + self.offset).astype(np.float32)

"""Shared helpers: map/mask iteration and equal-width score bins filled in bounded chunks."""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np

Maps = np.ndarray | Sequence[np.ndarray]
"""Anomaly maps or masks: one stacked N×H×W array, a single H×W array, or a sequence of H×W arrays."""

CHUNK = 1 << 19
"""Pixels binned per step: at most 512k × (8 + 8) bytes of temporaries, which stay in cache (fastest)."""


def as_map_list(maps: Maps) -> list[np.ndarray]:
    """Split maps into a list of arrays (views along the first axis of a stacked array)."""
    if isinstance(maps, np.ndarray):
        return list(maps) if maps.ndim >= 3 else [maps]
    return [np.asarray(m) for m in maps]


def iter_pairs(maps: Maps, masks: Maps) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (score map, boolean mask) pairs; shapes must match."""
    for score_map, mask in zip(as_map_list(maps), as_map_list(masks), strict=True):
        if score_map.shape != mask.shape:
            raise ValueError(f"map shape {score_map.shape} differs from mask shape {mask.shape}")
        yield score_map, mask if mask.dtype == bool else mask != 0


def min_max(maps: Maps) -> tuple[float, float]:
    """Smallest and largest score over all maps (one pass, no copies)."""
    arrays = as_map_list(maps)
    if not arrays or any(m.size == 0 for m in arrays):
        raise ValueError("no scores given")
    lo = min(float(np.min(m)) for m in arrays)
    hi = max(float(np.max(m)) for m in arrays)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError("scores must be finite")
    return lo, hi


@dataclass(frozen=True)
class ScoreBins:
    """Equal-width bins over [lo, hi]: bin b holds lo + b·w <= s < lo + (b+1)·w, w = (hi − lo) / bins.

    The top score hi falls in the last bin; scores outside the range are clipped into the end bins.
    """

    lo: float
    hi: float
    bins: int = 10_000

    def __post_init__(self) -> None:
        if not 1 <= self.bins <= 1 << 22:  # 2·bin + 1 stays exact in float32
            raise ValueError(f"bins must lie in [1, 2**22], got {self.bins}")
        if not (np.isfinite(self.lo) and np.isfinite(self.hi) and self.lo <= self.hi):
            raise ValueError(f"invalid score range ({self.lo}, {self.hi})")

    def lower_edges(self) -> np.ndarray:
        """Lower edge of every bin: the threshold that separates it from the bins below."""
        return self.lo + np.arange(self.bins) * ((self.hi - self.lo) / self.bins)

    def index(self, scores: np.ndarray) -> np.ndarray:
        """Bin index of every score (flattened; small inputs: no chunking)."""
        flat = np.ravel(scores)
        return self._scale(flat, np.empty(flat.size, _work_dtype(flat))).astype(np.intp)

    def label_counts(self, scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Count scores per bin and label: a (bins, 2) array of [negatives, positives]."""
        if scores.shape != labels.shape:
            raise ValueError(f"scores shape {scores.shape} differs from labels shape {labels.shape}")
        if scores.ndim > 1 and not (scores.flags.c_contiguous and labels.flags.c_contiguous):
            rows = zip(scores, labels, strict=True)
            return sum((self.label_counts(s, lab) for s, lab in rows), np.zeros((self.bins, 2), np.int64))
        flat_scores, flat_labels = scores.reshape(-1), labels.reshape(-1)
        step = max(1, min(flat_scores.size, CHUNK))
        work, keys = np.empty(step, _work_dtype(flat_scores)), np.empty(step, np.intp)
        counts = np.zeros(2 * self.bins, np.int64)
        for start in range(0, flat_scores.size, step):
            chunk = flat_scores[start : start + step]
            positive = flat_labels[start : start + step]
            # key = 2·bin + label, formed in floating point (fastest): one bincount fills both columns.
            key = self._scale(chunk, work[: chunk.size])
            np.floor(key, out=key)
            np.add(key, key, out=key)
            np.add(key, positive if positive.dtype == bool else positive != 0, out=key)
            keys[: chunk.size] = key
            counts += np.bincount(keys[: chunk.size], minlength=2 * self.bins)
        return counts.reshape(self.bins, 2)

    def _scale(self, scores: np.ndarray, work: np.ndarray) -> np.ndarray:
        """Write (scores − lo) / w clipped to [0, bins − 1] into work: its floor is the bin index."""
        span = self.hi - self.lo
        np.subtract(scores, self.lo, out=work)
        np.multiply(work, self.bins / span if span > 0 else 0.0, out=work)
        return np.clip(work, 0, self.bins - 1, out=work)


def _work_dtype(scores: np.ndarray) -> np.dtype:
    return np.result_type(scores.dtype, np.float32)


class _Accumulator(Protocol):
    def update(self, score_map: np.ndarray, mask: np.ndarray, /) -> object: ...


A = TypeVar("A", bound=_Accumulator)


def fill(
    make: Callable[[tuple[float, float], int], A],
    maps: Maps,
    masks: Maps,
    bins: int,
    score_range: tuple[float, float] | None,
) -> A:
    """A binned accumulator fed every (map, mask) pair; the score range defaults to the maps' min/max."""
    accumulator = make(min_max(maps) if score_range is None else score_range, bins)
    for score_map, mask in iter_pairs(maps, masks):
        accumulator.update(score_map, mask)
    return accumulator

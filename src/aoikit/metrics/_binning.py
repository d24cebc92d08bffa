"""Shared helpers: map/mask iteration and score bins planned from the data, filled in bounded chunks.

Bins are ranges of an order-preserving integer key of float32 scores. Its upper 16 bits (sign, exponent and 7
mantissa bits: steps of 0.8 % of the score) form 2^16 top bins. A strided sample counts defect and good pixels
per top bin; a top bin holding both is split into 2^m sub-bins on the lower 16 bits (m ≤ 16; m = 16 separates
every float32 value), a budget of sub-bins shared in proportion to √(defect · good), which minimises the expected
number of tied defect–good pairs. One pass then bins every pixel with a table lookup, shifts and a bincount.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import numpy as np

Maps = np.ndarray | Sequence[np.ndarray]
"""Anomaly maps or masks: one stacked N×H×W array, a single H×W array, or a sequence of H×W arrays."""

BINS = 1 << 15
"""Default budget of extra bins for score ranges that hold both labels."""

CHUNK = 1 << 17
"""Pixels binned per step: four work arrays of 128k × 4 or 8 bytes, reused (2.5 MB: fastest measured)."""

SAMPLE = 1 << 20
"""Pixels sampled (evenly strided over all maps) to plan the bins."""

POOL = 8
"""Top bins on each side whose sampled counts join a top bin's own (±6 % of the score) to estimate its pairs."""

LOW_BITS = 16
TOPS = 1 << (32 - LOW_BITS)
ZERO_TOP = TOPS // 2
"""Top bin of +0.0 and the smallest positive denormals; −0.0 ends the top bin below, and the two share a bin."""


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
    """Smallest and largest score over all maps (both taken per chunk while it is in cache)."""
    arrays = as_map_list(maps)
    if not arrays or any(m.size == 0 for m in arrays):
        raise ValueError("no scores given")
    lo, hi = np.inf, -np.inf
    for scores in arrays:
        flat = np.ravel(scores)
        for start in range(0, flat.size, CHUNK):
            chunk = flat[start : start + CHUNK]
            lo, hi = min(lo, float(chunk.min())), max(hi, float(chunk.max()))
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError("scores must be finite")
    return lo, hi


def float_keys(scores: np.ndarray, out: np.ndarray, flip: np.ndarray) -> np.ndarray:
    """Write uint32 keys of float32 `scores` into the int32 array `out`, in the scores' order; return it as uint32.

    The key is the IEEE bit pattern with the sign bit set for positive scores and all bits flipped for negative
    ones, so −0.0 sorts just below +0.0 (see `ZERO_TOP`). `flip` (int32, same size) is work space.
    """
    bits = scores.view(np.int32)
    np.right_shift(bits, 31, out=flip)  # −1 (all bits) for a negative score, else 0
    np.bitwise_or(flip, np.int32(-(1 << 31)), out=flip)
    np.bitwise_xor(bits, flip, out=out)
    return out.view(np.uint32)


def keys_of(scores: np.ndarray) -> np.ndarray:
    """Keys (`float_keys`) of a few scores of any shape and dtype, flattened and rounded to float32 first."""
    floats = np.ascontiguousarray(scores, np.float32).reshape(-1)
    return float_keys(floats, np.empty(floats.size, np.int32), np.empty(floats.size, np.int32))


def key_floats(keys: np.ndarray) -> np.ndarray:
    """The float32 value of each key (inverse of `float_keys`), as float64."""
    keys = keys.astype(np.uint32)
    bits = np.where(keys >> 31, keys ^ np.uint32(1 << 31), ~keys)
    return bits.view(np.float32).astype(np.float64)


@dataclass(frozen=True, eq=False)
class ScoreBins:
    """Score bins in increasing order, made by `plan_bins`. Scores are rounded to float32 before binning.

    Attributes:
        lo: smallest score of the planning data (lower scores fall in the lowest bins).
        hi: largest score of the planning data.
        table: int32 per top bin t, (first << 5) | shift: a score with key k in t falls in bin
            first + ((k mod 2^16) >> shift).
        edges: smallest key of every bin (int64, increasing).
    """

    lo: float
    hi: float
    table: np.ndarray = field(repr=False)
    edges: np.ndarray = field(repr=False)

    @property
    def bins(self) -> int:
        """Number of bins."""
        return int(self.edges.size)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ScoreBins)
            and (self.lo, self.hi) == (other.lo, other.hi)
            and np.array_equal(self.table, other.table)
        )

    def thresholds(self) -> np.ndarray:
        """Lowest score of every bin (at least `lo`): a float32 score lies in bin b or above iff it is ≥ thresholds[b].

        A float64 score within half a float32 step below a threshold rounds up into the bin.
        """
        return np.maximum(key_floats(self.edges), self.lo)

    def single_values(self) -> np.ndarray:
        """Whether each bin spans a single float32 value within [lo, hi], so that its scores are true ties."""
        low, high = (int(k) for k in keys_of(np.array([self.lo, self.hi])))
        ends = np.append(self.edges[1:], high + 1)
        return ends - np.maximum(self.edges, low) <= 1

    def index(self, scores: np.ndarray) -> np.ndarray:
        """Bin index of every score (flattened)."""
        flat = np.ravel(scores)
        index = np.empty(flat.size, np.intp)
        for part, bins in self._chunks(flat):
            index[part] = bins
        return index

    def label_counts(self, scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Count scores per bin and label: a (bins, 2) array of [negatives, positives]."""
        if scores.shape != labels.shape:
            raise ValueError(f"scores shape {scores.shape} differs from labels shape {labels.shape}")
        if scores.ndim > 1 and not (scores.flags.c_contiguous and labels.flags.c_contiguous):
            rows = zip(scores, labels, strict=True)
            return sum((self.label_counts(s, lab) for s, lab in rows), np.zeros((self.bins, 2), np.int64))
        flat_labels = labels.reshape(-1)
        counts = np.zeros(2 * self.bins, np.int64)
        keys = np.empty(min(flat_labels.size, CHUNK), np.intp)
        for part, bins in self._chunks(scores.reshape(-1)):
            positive = flat_labels[part]
            # key = 2·bin + label: one bincount fills both columns.
            np.add(bins, bins, out=bins)
            np.add(bins, positive if positive.dtype == bool else positive != 0, out=bins)
            keys[: bins.size] = bins
            counts += np.bincount(keys[: bins.size], minlength=2 * self.bins)
        return counts.reshape(self.bins, 2)

    def _chunks(self, scores: np.ndarray) -> Iterator[tuple[slice, np.ndarray]]:
        """Yield (slice, int32 bin index of the scores in it) over 1-D scores; the index array is reused."""
        step = max(1, min(scores.size, CHUNK))
        floats = np.empty(step, np.float32) if scores.dtype != np.float32 else None
        index, top, entry = (np.empty(step, np.int32) for _ in range(3))
        for start in range(0, scores.size, step):
            part = slice(start, min(start + step, scores.size))
            size = part.stop - start
            chunk = scores[part]
            if floats is not None:
                chunk = floats[:size]
                np.copyto(chunk, scores[part], casting="same_kind")
            yield part, self._bin(chunk, index[:size], top[:size], entry[:size])

    def _bin(self, scores: np.ndarray, index: np.ndarray, top: np.ndarray, entry: np.ndarray) -> np.ndarray:
        """Write the bin of every float32 score into `index` (int32); `top` and `entry` are int32 work space."""
        np.right_shift(float_keys(scores, index, top), LOW_BITS, out=top.view(np.uint32))  # top bin
        np.take(self.table, top, out=entry, mode="clip")  # never clips; "clip" avoids a buffered copy of `out`
        np.bitwise_and(index, (1 << LOW_BITS) - 1, out=index)
        np.bitwise_and(entry, 31, out=top)
        np.right_shift(index, top, out=index)
        np.right_shift(entry, 5, out=entry)
        return np.add(index, entry, out=index)


def plan_bins(maps: Maps, masks: Maps, bins: int = BINS) -> ScoreBins:
    """Bins for these maps: one per sampled top bin, and up to `bins` more where defect and good pixels meet.

    A strided sample of at most `SAMPLE` pixels counts defect and good pixels per top bin. Pooled over `POOL`
    neighbours on each side (sparse defects leave many top bins without a sampled one), their product estimates
    the tied pairs that `_sub_bits` splits. Top bins missing from the sample join the bin below them. There are
    at most 2^16 + `bins` bins.
    """
    if not 1 <= bins <= 1 << 24:
        raise ValueError(f"bins must lie in [1, 2**24], got {bins}")
    lo, hi = min_max(maps)
    counts = _sample_counts(maps, masks)
    occupied = counts.sum(axis=1) > 0
    occupied[keys_of(np.array([lo, hi])) >> LOW_BITS] = True
    occupied[ZERO_TOP - 1] |= occupied[ZERO_TOP]
    occupied[ZERO_TOP] = False  # so it joins the bin of −0.0
    window = np.ones(2 * POOL + 1)
    good, defect = (np.convolve(counts[:, label], window, mode="same") for label in (0, 1))
    pairs = np.where(occupied, good * defect, 0.0)
    pairs[ZERO_TOP - 1] = 0.0  # ±0.0 and the denormals: one bin
    return ScoreBins(lo, hi, *_layout(occupied, _sub_bits(pairs, bins)))


def _layout(occupied: np.ndarray, sub_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`ScoreBins.table` and `edges` for 2^m bins in each occupied top bin; the others join the bin below."""
    sizes = np.where(occupied, 1 << sub_bits, 0)
    end = np.cumsum(sizes)
    first = np.where(occupied, end - sizes, np.maximum(end - 1, 0))
    shift = np.where(occupied, LOW_BITS - sub_bits, LOW_BITS)
    tops = np.flatnonzero(occupied)
    top_of_bin = np.repeat(tops, sizes[tops])
    sub_bin = np.arange(end[-1]) - np.repeat(first[tops], sizes[tops])
    edges = (top_of_bin << LOW_BITS) + (sub_bin << shift[top_of_bin])
    return ((first << 5) | shift).astype(np.int32), edges


def _sub_bits(pairs: np.ndarray, bins: int) -> np.ndarray:
    """log2 of the sub-bins of each top bin, given its defect–good pairs, so that Σ 2^m ≤ about `bins`.

    Splitting a top bin evenly in 2^m divides its tied pairs by 2^m; Σ pairs / 2^m under Σ 2^m = bins is least for
    2^m ∝ √pairs. That share rounded down to a power of two (m ≤ 16), the rest of the budget doubles the sub-bins
    of the top bins where that removes the most pairs per bin added.
    """
    share = np.sqrt(pairs)
    share *= bins / max(share.sum(), 1.0)
    sub_bits = np.minimum(np.floor(np.log2(np.maximum(share, 1.0))), LOW_BITS).astype(np.int64)
    gain = np.where(sub_bits < LOW_BITS, pairs / 4.0**sub_bits, 0.0)
    order = np.argsort(-gain)[: np.count_nonzero(gain)]
    spent = int(np.sum(1 << sub_bits[pairs > 0]))
    sub_bits[order[np.cumsum(1 << sub_bits[order]) <= bins - spent]] += 1
    return sub_bits


def _sample_counts(maps: Maps, masks: Maps) -> np.ndarray:
    """Good and defect pixels per top bin, (TOPS, 2), in an evenly strided sample of at most `SAMPLE` pixels."""
    pairs = list(iter_pairs(maps, masks))
    step = -(-sum(m.size for m, _ in pairs) // SAMPLE) | 1  # odd: no aliasing with even image widths
    scores, labels, seen = [], [], 0
    for score_map, mask in pairs:
        start = -seen % step
        scores.append(np.ravel(score_map)[start::step])
        labels.append(np.ravel(mask)[start::step])
        seen += score_map.size
    tops = (keys_of(np.concatenate(scores)) >> LOW_BITS).astype(np.intp)
    return np.bincount(2 * tops + np.concatenate(labels), minlength=2 * TOPS).reshape(TOPS, 2)


class _Accumulator(Protocol):
    def update(self, score_map: np.ndarray, mask: np.ndarray, /) -> object: ...


A = TypeVar("A", bound=_Accumulator)


def fill(make: Callable[[ScoreBins], A], maps: Maps, masks: Maps, bins: int | ScoreBins) -> A:
    """An accumulator fed every (map, mask) pair; `bins` is a plan, or a budget to plan one from these maps."""
    accumulator = make(bins if isinstance(bins, ScoreBins) else plan_bins(maps, masks, bins))
    for score_map, mask in iter_pairs(maps, masks):
        accumulator.update(score_map, mask)
    return accumulator

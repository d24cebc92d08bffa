"""Seeded split of samples by image."""

import numpy as np

from aoikit.data.dataset import Sample
from aoikit.errors import check_fraction


def train_val_split(
    samples: list[Sample], val_fraction: float = 0.2, seed: int = 0
) -> tuple[list[Sample], list[Sample]]:
    """Split samples by image into (train, val), each keeping the input order.

    ``round(val_fraction * n)`` images go to val, but at least one on each side when there are two or more.

    Raises:
        ValueError: ``val_fraction`` is not strictly between 0 and 1.
    """
    check_fraction(val_fraction, "val_fraction")
    n = len(samples)
    n_val = min(max(round(val_fraction * n), 1), n - 1) if n >= 2 else 0
    val_idx = set(np.random.default_rng(seed).permutation(n)[:n_val].tolist())
    train = [s for i, s in enumerate(samples) if i not in val_idx]
    val = [s for i, s in enumerate(samples) if i in val_idx]
    return train, val

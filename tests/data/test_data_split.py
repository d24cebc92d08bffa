"""Seeded train/validation split by image."""

from pathlib import Path

import pytest

from aoikit.data import Sample, train_val_split
from aoikit.errors import DataError

SAMPLES = [Sample(Path(f"{i:03d}.png")) for i in range(50)]


def test_split_is_80_20_disjoint_and_complete() -> None:
    train, val = train_val_split(SAMPLES)
    assert (len(train), len(val)) == (40, 10)
    assert set(train).isdisjoint(val) and set(train) | set(val) == set(SAMPLES)
    assert train == sorted(train, key=SAMPLES.index) and val == sorted(val, key=SAMPLES.index)


def test_split_is_reproducible_and_seeded() -> None:
    assert train_val_split(SAMPLES, seed=7) == train_val_split(SAMPLES, seed=7)
    assert train_val_split(SAMPLES, seed=7)[1] != train_val_split(SAMPLES, seed=8)[1]


@pytest.mark.parametrize("fraction", [0.01, 0.5, 0.99])
def test_each_side_gets_an_image(fraction: float) -> None:
    train, val = train_val_split(SAMPLES[:2], fraction)
    assert len(train) == len(val) == 1
    assert train_val_split(SAMPLES[:1], fraction) == (SAMPLES[:1], [])


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.2, 1.5])
def test_bad_fraction(fraction: float) -> None:
    with pytest.raises(ValueError, match="val_fraction") as err:
        train_val_split(SAMPLES, fraction)
    assert not isinstance(err.value, DataError)

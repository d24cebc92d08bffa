"""The validation split: held-out good training images and the defect images of whole parts, nothing else."""

from pathlib import Path

import numpy as np
import pytest

from aoikit.data.arrays import load_images
from aoikit.data.dataset import Sample
from aoikit.data.open import open_dataset
from aoikit.errors import AoikitError
from aoikit.tune.data import load_tune_data, part_of, split_by_part


def test_defect_images_of_one_part_stay_together() -> None:
    samples = [Sample(Path(f"kos{p:02d}_Part{i}.jpg"), 1, "defect") for p in range(10) for i in range(3)]
    chosen = split_by_part(samples, 0.3, seed=2)
    parts = {part_of(s) for s in chosen}
    assert len(parts) == 3 and len(chosen) == 9
    assert chosen == [s for s in samples if part_of(s) in parts]
    assert len(split_by_part(samples[:3], 0.1, seed=0)) == 3  # at least one part


def test_validation_holds_held_out_good_and_some_defects_never_test_good(tiny_dataset: Path) -> None:
    data = load_tune_data(tiny_dataset, None, val_fraction=0.2, defect_fraction=0.5, seed=0)
    dataset = open_dataset(tiny_dataset)
    n_defects = sum(s.label for s in dataset.test)
    assert len(data.train) + len(data.good) == len(dataset.train) and len(data.good) == 2
    assert len(data.defects) == round(0.5 * n_defects)  # the synthetic images are one part each
    assert data.labels.tolist() == [0] * len(data.good) + [1] * len(data.defects)
    test_good = load_images([s for s in dataset.test if s.label == 0])
    seen = [*data.train, *data.validation]
    assert not any(np.array_equal(image, other) for image in test_good for other in seen)


def test_bad_defect_share_is_refused(tiny_dataset: Path) -> None:
    with pytest.raises(AoikitError, match="defect parts"):
        load_tune_data(tiny_dataset, None, defect_fraction=0.0)

"""The images a tuning objective sees: good images to train on and a validation split, never the test split's
good images."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aoikit.data.arrays import load_images
from aoikit.data.dataset import Sample
from aoikit.data.open import open_dataset
from aoikit.data.split import train_val_split
from aoikit.errors import AoikitError
from aoikit.pipeline import MIN_GOOD


def part_of(sample: Sample) -> str:
    """The part an image shows: its file name up to the first underscore (``kos01`` of ``kos01_Part5.jpg``)."""
    return sample.path.stem.split("_")[0]


def split_by_part(samples: list[Sample], fraction: float, seed: int) -> list[Sample]:
    """The samples of ``round(fraction · parts)`` randomly chosen parts (at least one), in input order."""
    parts = sorted({part_of(s) for s in samples})
    count = min(max(round(fraction * len(parts)), 1), len(parts))
    chosen = set(np.random.default_rng(seed).permutation(parts)[:count].tolist())
    return [s for s in samples if part_of(s) in chosen]


@dataclass
class TuneData:
    """Good training images, held-out good images, and validation defect images."""

    train: list[np.ndarray]
    good: list[np.ndarray]
    defects: list[np.ndarray]

    @property
    def validation(self) -> list[np.ndarray]:
        """Held-out good images, then the validation defect images."""
        return [*self.good, *self.defects]

    @property
    def labels(self) -> np.ndarray:
        """0 for each held-out good image, 1 for each defect image of :attr:`validation`."""
        return np.array([0] * len(self.good) + [1] * len(self.defects))


def load_tune_data(
    data: Path, category: str | None, val_fraction: float = 0.2, defect_fraction: float = 0.5, seed: int = 0
) -> TuneData:
    """Good training images split as ``aoikit train`` splits them (``val_fraction`` held out), and the defect
    images of ``defect_fraction`` of the parts with defects (:func:`part_of`); the test split's good images and the
    other parts' defect images stay unseen.

    Raises:
        AoikitError: ``defect_fraction`` outside (0, 1], too few good images, or no defect image.
    """
    if not 0.0 < defect_fraction <= 1.0:
        raise AoikitError(f"the validation share of defect parts must lie in (0, 1], got {defect_fraction}")
    dataset = open_dataset(data, category)
    if len(dataset.train) < MIN_GOOD:
        raise AoikitError(f"{data}: {len(dataset.train)} good training image(s); tuning needs at least {MIN_GOOD}")
    defects = [s for s in dataset.test if s.label == 1]
    if not defects:
        raise AoikitError(f"{data}: no defect images; the validation AUROC needs some")
    train, good = train_val_split(dataset.train, val_fraction, seed)
    return TuneData(
        load_images(train, desc="reading training images"),
        load_images(good, desc="reading held-out good images"),
        load_images(split_by_part(defects, defect_fraction, seed), desc="reading validation defect images"),
    )

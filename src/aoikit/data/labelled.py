"""Labelled defect images for supervised training, read from a plain folder layout."""

from pathlib import Path

from aoikit.data.arrays import load_images, load_masks
from aoikit.data.dataset import AnomalyDataset
from aoikit.errors import DataError
from aoikit.types import LabelledImage


def labelled_defects(dataset: AnomalyDataset, folder: Path) -> list[LabelledImage]:
    """Every defect image of a plain folder (``defect/[<type>/]``) with its mask and type.

    Raises:
        DataError: ``folder`` is an MVTec AD category (its defect images are its test set, not training labels),
            or it holds no defect image.
    """
    if (folder / "train").is_dir():
        raise DataError(
            folder,
            "an MVTec AD category's defect images are its test set; a supervised model trains on a labelled "
            "folder (good/, defect/[<type>/], masks/), e.g. written by `aoikit review-export --formats folder`",
        )
    samples = [s for s in dataset.test if s.label == 1]
    if not samples:
        raise DataError(folder / "defect", "no labelled defect images to train a supervised model on")
    images = load_images(samples, desc="reading labelled defect images")
    masks = load_masks(samples, images)
    return [LabelledImage(im, m, s.defect_type) for im, m, s in zip(images, masks, samples, strict=True)]

"""Dataset readers, patching and synthetic data."""

from aoikit.data.dataset import AnomalyDataset, Sample
from aoikit.data.folder import load_folder
from aoikit.data.image_io import read_gray, read_mask
from aoikit.data.mvtec import load_mvtec
from aoikit.data.open import open_dataset
from aoikit.data.patches import random_crops, stitch, tile
from aoikit.data.split import train_val_split
from aoikit.data.synthetic import make_synthetic_dataset

__all__ = [
    "AnomalyDataset",
    "Sample",
    "load_folder",
    "load_mvtec",
    "make_synthetic_dataset",
    "open_dataset",
    "random_crops",
    "read_gray",
    "read_mask",
    "stitch",
    "tile",
    "train_val_split",
]

"""Does brightness alone tell a dataset's good test images from its defective ones?

Usage: ``python benchmarks/brightness_split.py --data ../shared/data/mvtec_ad/screw``. Prints, for the training
images, the good test images and the defective test images, the mean over images of: mean grey, background
median (outside ``foreground_mask``), standard deviation and high-frequency noise (std of image minus its σ-1
blur); then the image AUROC each statistic alone reaches on the test set. A statistic near 0 or 1 there is a
split artefact: any image score that reacts to it inherits it.
"""

import argparse
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from aoikit.data.arrays import load_images
from aoikit.data.open import open_dataset
from aoikit.metrics import image_auroc
from aoikit.preprocess import foreground_mask

STATS: dict[str, Callable[[np.ndarray], float]] = {
    "mean grey": lambda im: float(im.mean()),
    "background median": lambda im: float(np.median(im[~foreground_mask(im)])),
    "std": lambda im: float(im.std()),
    "high-frequency noise": lambda im: float((im - cv2.GaussianBlur(im, (0, 0), 1.0)).std()),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--category", default=None)
    args = parser.parse_args()
    dataset = open_dataset(args.data, args.category)
    groups = {
        "train": load_images(dataset.train, desc="train"),
        "test good": load_images([s for s in dataset.test if s.label == 0], desc="test good"),
        "test defective": load_images([s for s in dataset.test if s.label == 1], desc="test defective"),
    }
    values = {g: {n: np.array([f(im) for im in ims]) for n, f in STATS.items()} for g, ims in groups.items()}
    labels = np.r_[np.zeros(len(groups["test good"])), np.ones(len(groups["test defective"]))]
    print(f"\n{args.data}: {', '.join(f'{len(v)} {g}' for g, v in groups.items())}\n")
    print("| statistic | " + " | ".join(groups) + " | image AUROC of the statistic alone |")
    print("|---|" + "---:|" * (len(groups) + 1))
    for name in STATS:
        means = " | ".join(f"{values[g][name].mean():.4f}" for g in groups)
        test = np.r_[values["test good"][name], values["test defective"][name]]
        print(f"| {name} | {means} | {image_auroc(test, labels):.3f} |")


if __name__ == "__main__":
    main()

"""PaDiM (a Gaussian per feature position) against PatchCore on parts in one pose: MVTec AD screw with `align`.

Usage: .venv/bin/python benchmarks/padim_vs_patchcore.py [--data ../shared/data/mvtec_ad/screw] [--threads N]

Both use the default detector's working frame (intensity matched, aligned, 256 px) and features (EfficientNet-Lite0
blocks 4 and 10, mirrored border). PaDiM (Defard et al. 2021) fits a mean and covariance (+0.01·I) of the good
training features at each feature position and maps the Mahalanobis distance; PatchCore is the default detector.
Same split as `aoikit train` (80 % of train/good), scored on the whole test split. Prints Markdown.
"""

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from aoikit.data.arrays import load_images
from aoikit.data.open import open_dataset
from aoikit.data.split import train_val_split
from aoikit.evaluation.evaluate import load_test_set
from aoikit.metrics import image_auroc, image_scores_from_maps, pixel_auroc
from aoikit.models.patchcore.config import PatchCoreConfig
from aoikit.models.patchcore.detector import PatchCoreDetector
from aoikit.runtime import configure_runtime
from metric_exactness import machine

SCREW = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mvtec_ad" / "screw"


def padim_maps(detector: PatchCoreDetector, train: list[np.ndarray], test: list[np.ndarray]) -> list[np.ndarray]:
    """PaDiM maps of ``test`` in each image's own frame, from the fitted detector's frame and features."""
    net = detector.model_
    with torch.inference_mode():
        feats = torch.stack([net(torch.from_numpy(detector._prepare(im)[0])[None, None])[0] for im in train])
        n, c, h, w = feats.shape
        x = feats.permute(2, 3, 0, 1).reshape(h * w, n, c).double()
        mean = x.mean(1, keepdim=True)
        centred = x - mean
        cov = centred.transpose(1, 2) @ centred / (n - 1) + 0.01 * torch.eye(c, dtype=torch.float64)
        precision = torch.cholesky_inverse(torch.linalg.cholesky(cov))
        maps = []
        for image in test:
            working, transform = detector._prepare(image)
            f = net(torch.from_numpy(working)[None, None])[0].permute(1, 2, 0).reshape(h * w, 1, c).double() - mean
            d = torch.sqrt((f @ precision @ f.transpose(1, 2)).reshape(h, w).clamp_min(0)).float().numpy()
            up = cv2.GaussianBlur(cv2.resize(d, working.shape[::-1]), (0, 0), detector.config.map_sigma)
            maps.append(detector._to_image(up, transform, image, 0.0))
    return maps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SCREW)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    print(f"{machine()}; torch threads {configure_runtime(args.threads)}\n")
    dataset = open_dataset(args.data)
    train_samples, val_samples = train_val_split(dataset.train, 0.2, 0)
    train, val, test = load_images(train_samples), load_images(val_samples), load_test_set(dataset.test)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        detector = PatchCoreDetector(PatchCoreConfig(align=True)).fit(train, val, Path(tmp))
    fit_s = time.perf_counter() - start
    rows = {"PatchCore (default, align)": ([detector.anomaly_map(im)[0] for im in test.images], fit_s)}
    start = time.perf_counter()
    rows["PaDiM (same features, align)"] = (padim_maps(detector, train, test.images), time.perf_counter() - start)
    print("| method | pixel AUROC | image AUROC | fit s (PaDiM: Gaussians + test maps) |")
    print("|---|---:|---:|---:|")
    for name, (maps, seconds) in rows.items():
        scores = image_scores_from_maps(maps, sigma=detector.config.score_sigma)
        pixel, image = pixel_auroc(maps, test.masks), image_auroc(scores, test.labels)
        print(f"| {name} | {pixel:.4f} | {image:.4f} | {seconds:.0f} |")


if __name__ == "__main__":
    main()

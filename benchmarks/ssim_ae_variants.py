"""What each change beyond the seed protocol does on a trained SSIM-AE run, beside the model-free baselines.

Usage: ``python benchmarks/ssim_ae_variants.py --run runs/ssim_ae_study/screw/d100 [--window 11] [--threads 1]``.
Each row re-evaluates the same weights (or the flat and untrained baselines) through the same maps and metrics with
inference-time options changed: overlapping tiles (stride 64), Gaussian smoothing of the residual map,
residuals kept only on the part (foreground mask), every image's grey level and contrast matched to the
held-out good images (undoing lighting drift between sessions), and the "area" image score (the share of
pixels above the 0.99 quantile of held-out good pixels) instead of the smoothed map's maximum. Prints a
Markdown table; thresholds are not involved in pixel AUROC/AUPRO, and segmentation rows use the threshold
calibrated on held-out good images.
"""

import argparse
import time
from dataclasses import replace
from pathlib import Path

from aoikit.config import load_config
from aoikit.data.arrays import load_images
from aoikit.data.open import open_dataset
from aoikit.data.split import train_val_split
from aoikit.detector import Detector
from aoikit.evaluation.evaluate import evaluate, load_test_set
from aoikit.pipeline import baseline_detector, load_run
from aoikit.runtime import configure_runtime

ALL_THREE = {"stride": 64, "map_sigma": 4.0, "foreground_only": True}
VARIANTS = {
    "seed protocol (tiles 128/128, raw map)": {},
    "+ overlapping tiles (stride 64)": {"stride": 64},
    "+ map smoothing (σ 4)": {"map_sigma": 4.0},
    "+ part only (foreground mask)": {"foreground_only": True},
    "all three": ALL_THREE,
    "all three + image score: area above good q0.99": {**ALL_THREE, "image_score": "area"},
    "all three + matched intensity": {**ALL_THREE, "match_intensity": True},
    "all three + matched intensity + area score": {**ALL_THREE, "match_intensity": True, "image_score": "area"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--window", type=int, default=11)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--baselines", default="flat,untrained", help="comma-separated: flat, untrained")
    args = parser.parse_args()
    print(f"threads: {configure_runtime(args.threads)}; run: {args.run}; window: {args.window}")
    config = load_config(args.run / "config.yaml")
    dataset = open_dataset(Path(config.data), config.category)
    _, val_samples = train_val_split(dataset.train, config.val_fraction, config.train.seed)
    val_images, test = load_images(val_samples), load_test_set(dataset.test)
    models: dict[str, Detector] = {"trained": load_run(args.run)}
    models |= {kind: baseline_detector(kind, config) for kind in args.baselines.split(",") if kind}
    print("\n| model | variant | pixel AUROC | AUPRO@0.3 | image AUROC | IoU (calibrated) | seconds |")
    print("|---|---|---|---|---|---|---|")
    for name, detector in models.items():
        base = detector.config
        detector.fit_intensity(val_images)  # used by the matched-intensity rows only
        for variant, changes in VARIANTS.items():
            detector.config = replace(base, **changes)
            start = time.perf_counter()
            res = evaluate(detector, test, val_images, [args.window])[0][args.window]
            seg = res["segmentation_calibrated"]
            print(
                f"| {name} | {variant} | {res['pixel_auroc']:.4f} | {res['aupro']:.4f} | {res['image_auroc']:.4f} "
                f"| {seg['iou']:.4f} | {time.perf_counter() - start:.0f} |",
                flush=True,
            )
        detector.config = base


if __name__ == "__main__":
    main()

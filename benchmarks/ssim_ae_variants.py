"""What each change beyond the seed protocol does on a trained SSIM-AE run, beside the model-free baselines.

Usage: ``python benchmarks/ssim_ae_variants.py --run runs/ssim_ae_study/screw/d100 [--window 11] [--threads 1]``.
Each row re-evaluates the same weights (or the flat and untrained baselines) through the same maps and metrics with
inference-time options changed: overlapping tiles (stride 64), Gaussian smoothing of the residual map,
residuals kept only on the part (foreground mask), every image's grey level and contrast matched to the
held-out good images (undoing lighting drift between sessions), and the "area" image score (the share of
pixels above the 0.99 quantile of held-out good pixels) instead of the smoothed map's maximum, every part
turned to one pose before reconstruction, and residuals scored against the training images' residuals at the
same aligned position (statistics from the training split; thresholds from the held-out good images).
Every row starts from the seed protocol, whatever the run's own options; ``--variants`` picks rows by key.
Prints a Markdown table; thresholds are not involved in pixel AUROC/AUPRO, and segmentation rows use the threshold
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
from aoikit.evaluation.evaluate import evaluate, load_test_set
from aoikit.models.ssim_ae.detector import SSIMAEDetector
from aoikit.pipeline import baseline_detector
from aoikit.runs import load_run
from aoikit.runtime import configure_runtime

SEED = {
    "stride": None,
    "map_sigma": 0.0,
    "foreground_only": False,
    "match_intensity": False,
    "align": False,
    "position_norm": False,
    "image_score": "max",
}
ALL_THREE = {"stride": 64, "map_sigma": 4.0, "foreground_only": True}
HONEST = {**ALL_THREE, "match_intensity": True, "image_score": "area"}
VARIANTS = {  # key: (row label, options on top of the seed protocol)
    "seed": ("seed protocol (tiles 128/128, raw map)", {}),
    "stride": ("+ overlapping tiles (stride 64)", {"stride": 64}),
    "smooth": ("+ map smoothing (σ 4)", {"map_sigma": 4.0}),
    "part": ("+ part only (foreground mask)", {"foreground_only": True}),
    "all3": ("all three", ALL_THREE),
    "area": ("all three + image score: area above good q0.99", {**ALL_THREE, "image_score": "area"}),
    "matched": ("all three + matched intensity", {**ALL_THREE, "match_intensity": True}),
    "honest": ("all three + matched intensity + area score", HONEST),
    "aligned": ("all three + matched intensity + area score + part aligned", {**HONEST, "align": True}),
    "position": (
        "all three + matched intensity + part aligned + position statistics, max score",
        {**HONEST, "align": True, "position_norm": True, "image_score": "max"},
    ),
    "position_area": (
        "all three + matched intensity + part aligned + position statistics, area score",
        {**HONEST, "align": True, "position_norm": True},
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--window", type=int, default=11)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--baselines", default="flat,untrained", help="comma-separated: flat, untrained")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated keys of {list(VARIANTS)}")
    args = parser.parse_args()
    print(f"threads: {configure_runtime(args.threads)}; run: {args.run}; window: {args.window}")
    config = load_config(args.run / "config.yaml")
    dataset = open_dataset(Path(config.data), config.category)
    train_samples, val_samples = train_val_split(dataset.train, config.val_fraction, config.train.seed)
    val_images, test = load_images(val_samples), load_test_set(dataset.test)
    keys = args.variants.split(",")
    positional = any(VARIANTS[key][1].get("position_norm") for key in keys)
    train_images = load_images(train_samples, desc="reading training images") if positional else []
    models: dict[str, SSIMAEDetector] = {"trained": load_run(args.run)}  # type: ignore[dict-item]
    models |= {kind: baseline_detector(kind, config) for kind in args.baselines.split(",") if kind}
    print("\n| model | variant | pixel AUROC | AUPRO@0.3 | image AUROC | IoU (calibrated) | seconds |")
    print("|---|---|---|---|---|---|---|")
    for name, detector in models.items():
        base = detector.config
        detector.fit_intensity(val_images)  # used by the matched-intensity rows only
        for key in keys:
            variant, changes = VARIANTS[key]
            detector.config = replace(base, **{**SEED, **changes})
            start = time.perf_counter()
            if detector.config.position_norm:
                detector.fit_position(train_images)  # the training split, as in SSIMAEDetector.fit
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

"""A run's test-set metrics under the replaced equal-width bins and the planned bins, from one set of maps.

Usage: .venv/bin/python benchmarks/headline_metrics.py --run runs/screw_aligned [--threads 1]

Maps come from `aoikit.evaluation.evaluate` at the run's window (thresholds calibrated on the run's held-out
good images); "old" re-scores the same maps with 10⁴ equal-width bins over [min, max] (the method replaced,
re-implemented in benchmarks/metric_exactness.py). Prints Markdown.
"""

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from aoikit.config import load_config
from aoikit.data.arrays import load_images
from aoikit.data.open import open_dataset
from aoikit.data.split import train_val_split
from aoikit.evaluation.evaluate import evaluate, load_test_set
from aoikit.runs import load_run
from aoikit.runtime import configure_runtime
from metric_exactness import machine, old_aupro, old_auroc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    print(f"{machine()}; threads {configure_runtime(args.threads)}; python {platform.python_version()}")
    config = load_config(args.run / "config.yaml")
    detector = load_run(args.run)
    window = detector.config.window
    dataset = open_dataset(Path(config.data), config.category)
    _, val_samples = train_val_split(dataset.train, config.val_fraction, config.train.seed)
    val_images, test = load_images(val_samples), load_test_set(dataset.test)
    start = time.perf_counter()
    results, maps, _ = evaluate(detector, test, val_images, [window])
    new = results[window]
    stack, masks = np.stack(maps[window]), np.stack(test.masks)
    print(f"\nrun {args.run}, window {window}, {len(test.images)} test images, {time.perf_counter() - start:.0f} s\n")
    print("| bins | pixel AUROC | AUPRO@0.3 | image AUROC |")
    print("|---|---:|---:|---:|")
    print(
        f"| equal-width (replaced) | {old_auroc(stack, masks):.4f} | {old_aupro(stack, masks):.4f} | "
        f"{new['image_auroc']:.4f} |"
    )
    print(f"| planned (now) | {new['pixel_auroc']:.4f} | {new['aupro']:.4f} | {new['image_auroc']:.4f} |")
    decisions = new["images_calibrated"]
    seg = new["segmentation_calibrated"]
    print(
        f"\ncalibrated image threshold: defective flagged {decisions['tpr']:.3f}, good flagged {decisions['fpr']:.3f}; "
        f"calibrated pixel threshold IoU {seg['iou']:.3f}"
    )
    per_type = {k: round(v["image_auroc"], 3) for k, v in new["per_type"].items() if "image_auroc" in v}
    print(f"image AUROC per type: {json.dumps(per_type)}")


if __name__ == "__main__":
    main()

"""Pixel AUROC, AUPRO@0.3, image AUROC and parts caught at 1% false alarms, for runs and the flat baseline.

Usage: ``python benchmarks/operating_points.py --run RUN [--run RUN2 ...] [--flat] [--threads 1]``.
Thresholds come from each run's held-out good validation images, as in ``aoikit evaluate``. "Caught at 1%"
is a **test-set operating point**: the share of defective test images scoring above the threshold that flags
at most 1% of the good test images (with fewer than 100 good test images: none of them). ``--flat`` adds the
flat baseline (image mean as the reconstruction, SSIM-AE maps at 512 px) with the run's intensity matching.
Prints a Markdown table and writes ``RUN/eval/operating_points.json``.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from aoikit.config import RunConfig, load_config
from aoikit.data.arrays import load_images
from aoikit.data.open import open_dataset
from aoikit.data.split import train_val_split
from aoikit.detector import Detector
from aoikit.evaluation.evaluate import TestSet, evaluate_maps, load_test_set
from aoikit.pipeline import baseline_detector
from aoikit.runs import load_run
from aoikit.runtime import configure_runtime


def caught_at(scores: np.ndarray, labels: np.ndarray, false_alarms: float = 0.01) -> tuple[float, float]:
    """Share of defective images above the lowest threshold flagging at most ``false_alarms`` of the good ones,
    and that threshold."""
    good = np.sort(scores[labels == 0])
    allowed = int(np.floor(false_alarms * len(good)))
    threshold = float(good[len(good) - 1 - allowed])
    return float((scores[labels == 1] > threshold).mean()), threshold


def measure(detector: Detector, test: TestSet, val: list[np.ndarray]) -> dict[str, float]:
    """The four numbers for one detector, thresholds from ``val``."""
    start = time.perf_counter()
    window = detector.config.window
    thresholds = detector.fit_thresholds(detector.analyse_many(val, [window], desc="calibrating"), window)
    analysed = detector.analyse_many(test.images, [window], desc="evaluating")
    scores = detector.image_scores(analysed, window, thresholds.area)
    metrics = evaluate_maps([a.maps[window] for a in analysed], test, thresholds.pixel, scores, thresholds.image)
    caught, threshold = caught_at(scores, test.labels)
    calibrated, segmentation = metrics["images_calibrated"], metrics["segmentation_calibrated"]
    assert isinstance(calibrated, dict) and isinstance(segmentation, dict)
    return {
        "pixel_auroc": float(metrics["pixel_auroc"]),  # type: ignore[arg-type]
        "aupro": float(metrics["aupro"]),  # type: ignore[arg-type]
        "image_auroc": float(metrics["image_auroc"]),  # type: ignore[arg-type]
        "caught_at_1pct_test": caught,
        "threshold_1pct_test": threshold,
        "iou_calibrated": float(segmentation["iou"]),
        "tpr_calibrated": float(calibrated["tpr"]),
        "fpr_calibrated": float(calibrated["fpr"]),
        "good_test": int((test.labels == 0).sum()),
        "defective_test": int((test.labels == 1).sum()),
        "seconds": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, action="append", required=True)
    parser.add_argument("--flat", action="store_true", help="also measure the flat baseline on each run's data")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    configure_runtime(args.threads)
    print("| run | detector | pixel AUROC | AUPRO@0.3 | image AUROC | caught at 1% (test) | TPR / FPR calibrated |")
    print("|---|---|---|---|---|---|---|")
    for run in args.run:
        config = load_config(run / "config.yaml")
        dataset = open_dataset(Path(config.data), config.category)
        _, val_samples = train_val_split(dataset.train, config.val_fraction, config.train.seed)
        val, test = load_images(val_samples), load_test_set(dataset.test)
        detectors: dict[str, Detector] = {"trained": load_run(run)}
        if args.flat:
            flat = RunConfig(data=config.data, category=config.category, val_fraction=config.val_fraction)
            flat.detector.match_intensity, flat.detector.align = config.detector.match_intensity, config.detector.align
            detectors["flat"] = baseline_detector("flat", flat)
            if config.detector.match_intensity:  # the reference from the training images, as a trained run does
                train_samples, _ = train_val_split(dataset.train, config.val_fraction, config.train.seed)
                detectors["flat"].fit_intensity(load_images(train_samples))
        rows = {}
        for name, detector in detectors.items():
            r = rows[name] = measure(detector, test, val)
            print(
                f"| {run} | {name} | {r['pixel_auroc']:.4f} | {r['aupro']:.4f} | {r['image_auroc']:.4f} "
                f"| {r['caught_at_1pct_test']:.3f} | {r['tpr_calibrated']:.3f} / {r['fpr_calibrated']:.3f} |",
                flush=True,
            )
        (run / "eval").mkdir(parents=True, exist_ok=True)
        (run / "eval" / "operating_points.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

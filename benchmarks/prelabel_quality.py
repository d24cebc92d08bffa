"""How much work pre-labels save: region recall/precision and reviewer edits against the ground truth.

Usage: ``python benchmarks/prelabel_quality.py --run RUN [--data PATH] [--min-area 16] [--threads 1]``.
Regions come from the run's anomaly maps at its calibrated threshold (fitted on held-out good images);
the match rule and the edit count are those of ``aoikit.labels.metrics``. Prints a Markdown table.
"""

import argparse
from pathlib import Path

from tqdm import tqdm

from aoikit.config import load_config
from aoikit.data.arrays import load_images
from aoikit.data.open import open_dataset
from aoikit.data.split import train_val_split
from aoikit.evaluation.evaluate import load_test_set
from aoikit.labels import RegionConfig, extract_regions, region_match, summarize
from aoikit.runs import load_run
from aoikit.runtime import configure_runtime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--data", type=str, default=None)
    parser.add_argument("--min-area", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--map-sigma", type=float, default=None, help="override the run's map smoothing")
    parser.add_argument("--foreground-only", action="store_true", help="keep residuals on the part only")
    args = parser.parse_args()
    threads = configure_runtime(args.threads)
    config = load_config(args.run / "config.yaml")
    detector = load_run(args.run)
    dataset = open_dataset(Path(args.data or config.data), config.category)
    if args.map_sigma is not None or args.foreground_only:
        detector.config.map_sigma = detector.config.map_sigma if args.map_sigma is None else args.map_sigma
        detector.config.foreground_only = args.foreground_only
        _, val = train_val_split(dataset.train, config.val_fraction, config.train.seed)
        detector.calibrate(load_images(val))  # thresholds again on held-out good images, with the new maps
    test = load_test_set(dataset.test)
    regions = RegionConfig(threshold=detector.threshold_, min_area=args.min_area)
    matches = []
    for image, mask in tqdm(zip(test.images, test.masks, strict=True), total=len(test.images), desc="pre-labels"):
        matches.append(region_match(extract_regions(detector.anomaly_map(image)[0], regions), mask))
    s = summarize(matches)
    print(
        f"threads: {threads}; run: {args.run}; calibrated threshold {detector.threshold_:.4f}; "
        f"min area {args.min_area}; map sigma {detector.config.map_sigma}; part only {detector.config.foreground_only}"
    )
    print(
        "\n| images | GT regions | predicted | found | recall | precision | false per good image "
        "| edits (add+delete+move) | edits from scratch |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {len(matches)} | {s['gt']} | {s['pred']} | {s['found']} | {s['recall']:.3f} | {s['precision']:.3f} "
        f"| {s['false_per_good_image']:.2f} | {s['edits']} ({s['missed']}+{s['false']}+{s['box_moves']}) "
        f"| {s['edits_from_scratch']} |"
    )


if __name__ == "__main__":
    main()

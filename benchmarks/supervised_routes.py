"""Three routes to a supervised model, against the unsupervised detector that pre-labels for them.

Usage: ``python benchmarks/supervised_routes.py --data DATASET --prelabeller RUN|flat --out FOLDER
[--part-sep _] [--epochs 20] [--threads 1]``.

The defect images are split by part into a training half and a test half (``--part-sep``: a part is the file
stem up to the first separator, e.g. ``kos07`` in ``kos07_Part3``; without it every image is its own part),
alternating parts within each defect type. Good images: an MVTec AD category keeps train/good for training and
test/good for testing; a plain folder splits its good images by part too. The unsupervised pre-labeller (a run,
or the model-free "flat" baseline with matched intensity) maps the training half, and the supervised family is
trained on the training goods plus the training half with

- ``gt``: the ground-truth masks;
- ``raw``: the pre-labels as they are (regions above the pre-labeller's calibrated threshold);
- ``reviewed``: a simulated review of the pre-labels: a region touching the ground truth is kept, any other is
  deleted (one edit each), and a ground-truth region no kept region touches is drawn from the ground truth (one
  edit each). Drawing every region from scratch costs one edit per ground-truth region.

Every detector is then measured on the same test half with thresholds from held-out training goods (as
``operating_points.py``). A trained route is loaded back from ``FOLDER/<route>/model`` when it exists.
Prints the split, the edits and a Markdown table; writes ``FOLDER/routes.json``.
"""

import argparse
import json
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from aoikit.config import RunConfig
from aoikit.data.arrays import load_images, load_masks
from aoikit.data.dataset import AnomalyDataset, Sample
from aoikit.data.open import open_dataset
from aoikit.data.split import train_val_split
from aoikit.detector import Detector
from aoikit.evaluation.evaluate import load_test_set
from aoikit.labels.folder import region_mask
from aoikit.labels.image_labels import ImageLabels
from aoikit.labels.metrics import simulate_review
from aoikit.labels.regions import RegionConfig, extract_regions
from aoikit.models.unet.detector import UNetDetector, UNetDetectorConfig
from aoikit.models.unet.loop import SegTrainConfig
from aoikit.pipeline import baseline_detector
from aoikit.runs import load_detector, load_run
from aoikit.runtime import configure_runtime
from aoikit.types import LabelledImage
from operating_points import measure

ROUTES = ("gt", "raw", "reviewed")


def part_of(sample: Sample, sep: str | None) -> str:
    return sample.path.stem.split(sep)[0] if sep else f"{sample.defect_type}/{sample.path.stem}"


def halves(samples: Sequence[Sample], sep: str | None) -> tuple[list[Sample], list[Sample]]:
    """Samples of alternate parts (sorted, within each defect type) in the first and the second half."""
    by_type: dict[str, dict[str, list[Sample]]] = defaultdict(lambda: defaultdict(list))
    for sample in samples:
        by_type[sample.defect_type][part_of(sample, sep)].append(sample)
    first: list[Sample] = []
    second: list[Sample] = []
    for parts in by_type.values():
        for k, part in enumerate(sorted(parts)):
            (first if k % 2 == 0 else second).extend(parts[part])
    return first, second


def split(dataset: AnomalyDataset, mvtec: bool, sep: str | None) -> dict[str, list[Sample]]:
    defects = [s for s in dataset.test if s.label == 1]
    test_good = [s for s in dataset.test if s.label == 0]
    if mvtec:
        train_good = dataset.train
    else:
        goods = [Sample(s.path, 0, "good") for s in dataset.train + test_good]
        train_good, test_good = halves(goods, sep)
    train_defects, test_defects = halves(defects, sep)
    return {
        "train_good": train_good,
        "test_good": test_good,
        "train_defects": train_defects,
        "test_defects": test_defects,
    }


def routes(prelabeller: Detector, images: list[np.ndarray], truths: list[np.ndarray]) -> tuple[dict, dict]:
    """Masks per route and the edit counts of the simulated review."""
    masks: dict[str, list[np.ndarray]] = {route: [] for route in ROUTES}
    edits = {"deleted": 0, "drawn": 0, "kept": 0, "from_scratch": 0, "raw_regions": 0}
    config = RegionConfig(threshold=prelabeller.threshold_)
    for image, truth in zip(images, truths, strict=True):
        regions = extract_regions(prelabeller.anomaly_map(image)[0], config)
        h, w = image.shape
        review = simulate_review(regions, truth)
        masks["gt"].append(truth)
        masks["raw"].append(region_mask(ImageLabels("", w, h, regions)))
        masks["reviewed"].append(review.mask)
        edits["raw_regions"] += len(regions)
        edits["kept"] += review.kept
        edits["deleted"] += review.deleted
        edits["drawn"] += review.drawn
        edits["from_scratch"] += review.from_scratch
    return masks, edits


def prelabeller_for(name: str, data: str, fit_images: list[np.ndarray], val_images: list[np.ndarray]) -> Detector:
    if name != "flat":
        return load_run(Path(name))
    config = RunConfig(data=data)
    config.detector.match_intensity = True
    return baseline_detector("flat", config).fit_intensity(fit_images).calibrate(val_images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--prelabeller", required=True, help="a run folder, or 'flat'")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--part-sep", default=None)
    parser.add_argument("--epochs", type=int, default=SegTrainConfig.epochs)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    configure_runtime(args.threads)
    dataset = open_dataset(Path(args.data))
    parts = split(dataset, (Path(args.data) / "train").is_dir(), args.part_sep)
    print({name: len(samples) for name, samples in parts.items()}, flush=True)
    fit_samples, val_samples = train_val_split(parts["train_good"], 0.2, 0)
    fit_images, val_images = load_images(fit_samples, "good"), load_images(val_samples, "held-out good")
    defect_images = load_images(parts["train_defects"], "training defects")
    truths = load_masks(parts["train_defects"], defect_images)
    test = load_test_set(parts["test_good"] + parts["test_defects"])

    prelabeller = prelabeller_for(args.prelabeller, args.data, fit_images, val_images)
    masks, edits = routes(prelabeller, defect_images, truths)
    n = len(defect_images)
    print(
        f"edits per image: reviewed {(edits['deleted'] + edits['drawn']) / n:.2f}, "
        f"from scratch {edits['from_scratch'] / n:.2f}; {edits}",
        flush=True,
    )

    rows = {f"unsupervised ({args.prelabeller})": measure(prelabeller, test, val_images)}
    if args.prelabeller != "flat":
        rows["flat baseline"] = measure(prelabeller_for("flat", args.data, fit_images, val_images), test, val_images)
    minutes = {}
    for route in ROUTES:
        folder = args.out / route
        if (folder / "model" / "config.json").exists():
            detector = load_detector(folder / "model")
        else:
            start = time.perf_counter()
            train_config = SegTrainConfig(epochs=args.epochs, threads=args.threads)
            labelled = [LabelledImage(im, m, "defect") for im, m in zip(defect_images, masks[route], strict=True)]
            resume = (folder / "last").exists()
            detector = UNetDetector(UNetDetectorConfig(), train_config).fit(
                fit_images, val_images, folder, resume, labelled
            )
            minutes[route] = (time.perf_counter() - start) / 60
        rows[f"supervised, {route}"] = measure(detector, test, val_images)
    print("| detector | pixel AUROC | AUPRO@0.3 | IoU (calibrated) | image AUROC | caught at 1% (test) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        print(
            f"| {name} | {r['pixel_auroc']:.4f} | {r['aupro']:.4f} | {r['iou_calibrated']:.4f} "
            f"| {r['image_auroc']:.4f} | {r['caught_at_1pct_test']:.3f} |"
        )
    summary = {"split": {k: len(v) for k, v in parts.items()}, "edits": edits, "minutes": minutes, "rows": rows}
    (args.out / "routes.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()

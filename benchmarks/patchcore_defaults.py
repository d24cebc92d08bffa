"""PatchCore's default settings chosen on validation data only: held-out good images and half of the parts' defects.

Usage: .venv/bin/python benchmarks/patchcore_defaults.py --out runs/patchcore-defaults [--data DIR ...]
       [--candidates base size320 ...]

For each dataset the split is `aoikit tune`'s: the good training images less the 20 % held out (seed 0) to fit on;
validation = the held-out good images + the defect images of half of the parts (a part is a file name up to its
first `_`). The test split's good images and the other parts' defects are never read. Each candidate (the defaults
with some options changed) is fitted and scored by validation image AUROC (for image-score smoothing σ 0, 4 and 8)
and pixel AUROC. Results are cached per candidate and dataset in --out, so a rerun continues. Prints Markdown.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from aoikit.data.arrays import load_images
from aoikit.data.open import open_dataset
from aoikit.data.split import train_val_split
from aoikit.evaluation.evaluate import load_test_set
from aoikit.metrics import image_auroc, image_scores_from_maps, pixel_auroc
from aoikit.models.patchcore.config import PatchCoreConfig, PatchCoreFitConfig
from aoikit.models.patchcore.detector import PatchCoreDetector
from aoikit.runtime import configure_runtime
from aoikit.tune.data import split_by_part
from metric_exactness import machine

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DATASETS = [SHARED / "mvtec_ad" / "screw", SHARED / "mvtec_ad" / "grid", SHARED / "kolektorsdd"]
CANDIDATES: dict[str, dict[str, Any]] = {
    "base": {},
    "size320": {"image_size": 320},
    "layers4-7-10": {"layers": [4, 7, 10]},
    "layers2-4-10": {"layers": [2, 4, 10]},
    "bank25": {"coreset_fraction": 0.25},
    "no-match": {"match_intensity": False},
    "pad32": {"pad": 32},
}
SIGMAS = (0.0, 4.0, 8.0)


def measure(data: Path, options: dict[str, Any]) -> dict[str, Any]:
    """Fit and calibrate one candidate on a dataset's training goods; validation AUROCs and seconds."""
    dataset = open_dataset(data, None)
    train_samples, good_samples = train_val_split(dataset.train, 0.2, 0)
    defects = split_by_part([s for s in dataset.test if s.label == 1], 0.5, 0)
    train = load_images(train_samples)
    validation = load_test_set(good_samples + defects)
    detector = PatchCoreDetector(PatchCoreConfig(**options), PatchCoreFitConfig())
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        detector.fit(train, validation.images[: len(good_samples)], Path(tmp))
    fit_s = time.perf_counter() - start
    maps = [a.maps[detector.config.window] for a in detector.analyse_many(validation.images)]
    labels = validation.labels
    row = {f"image_s{s:g}": image_auroc(image_scores_from_maps(maps, sigma=s), labels) for s in SIGMAS}
    row |= {"pixel": pixel_auroc(maps, validation.masks), "fit_s": fit_s, "bank": detector.fit_["bank"]}
    return row | {"good": len(good_samples), "defects": len(defects)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, nargs="+", default=DATASETS)
    parser.add_argument("--candidates", nargs="+", default=list(CANDIDATES), choices=list(CANDIDATES))
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    print(f"{machine()}; torch threads {configure_runtime(args.threads)}\n")
    args.out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    for name in args.candidates:
        for data in args.data:
            cache = args.out / f"{name}-{data.name}.json"
            if not cache.exists():
                cache.write_text(json.dumps(measure(data, CANDIDATES[name])))
            rows.setdefault(name, {})[data.name] = json.loads(cache.read_text())
    names = [d.name for d in args.data]
    print("| candidate | " + " | ".join(f"{n} image σ0/4/8 | {n} pixel | {n} fit s" for n in names) + " | mean |")
    print("|---|" + "---:|---:|---:|" * len(names) + "---:|")
    for name, per in rows.items():
        cells, means = [], []
        for n in names:
            r = per[n]
            images = "/".join(f"{r[f'image_s{s:g}']:.3f}" for s in SIGMAS)
            cells += [images, f"{r['pixel']:.4f}", f"{r['fit_s']:.0f}"]
            means.append((r["image_s4"] + r["pixel"]) / 2)
        print(f"| {name} | " + " | ".join(cells) + f" | {np.mean(means):.4f} |")
    print("\nmean: of (image AUROC at σ 4 + pixel AUROC) / 2 over the datasets; validation split only.")


if __name__ == "__main__":
    main()

"""Time and memory of aoikit's pixel AUROC and AUPRO against scikit-learn; prints a Markdown table.

Usage: .venv/bin/python benchmarks/eval_speed.py [--data ../shared/data] [--skip-sklearn-large]

Cases: (1) 160 maps of 512² with the real masks of MVTec AD "screw" (test set; good images: empty masks) and
synthetic scores (mask + noise, Gaussian-smoothed); (2) 1e8 synthetic pixels. Each method runs in its own
subprocess that builds the data, then runs it once under tracemalloc (under 5% overhead here): wall and CPU
time, the peak of traced (NumPy) allocations and the peak-RSS increase (ru_maxrss), both beyond the inputs.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import sklearn
from sklearn.metrics import roc_auc_score

from aoikit.metrics import aupro, aupro_exact, pixel_auroc

LARGE_PIXELS = 100_000_000
OURS_AUROC = "ours: pixel AUROC (planned bins)"
SKLEARN_AUROC = "sklearn roc_auc_score"
OURS_AUPRO = "ours: AUPRO@0.3 (planned bins; same pass gives pixel AUROC)"
EXACT_AUPRO = "exact AUPRO@0.3 (sort-based, MVTec-style)"
REFERENCE = {OURS_AUROC: SKLEARN_AUROC, OURS_AUPRO: EXACT_AUPRO}


def sklearn_auroc(scores: np.ndarray, masks: np.ndarray) -> float:
    """`sklearn.metrics.roc_auc_score` on the flattened pixels."""
    return float(roc_auc_score(masks.reshape(-1), scores.reshape(-1)))


METHODS: dict[str, dict[str, Callable[[np.ndarray, np.ndarray], float]]] = {
    "screw": {OURS_AUROC: pixel_auroc, SKLEARN_AUROC: sklearn_auroc, OURS_AUPRO: aupro, EXACT_AUPRO: aupro_exact},
    "1e8": {OURS_AUROC: pixel_auroc, SKLEARN_AUROC: sklearn_auroc},
}


def screw_data(root: Path) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the 160 screw test images and scores = Gaussian(σ=4) of mask + 4·noise, float32."""
    images = sorted((root / "mvtec_ad" / "screw" / "test").glob("*/*.png"))
    mask_paths = [root / "mvtec_ad" / "screw" / "ground_truth" / p.parent.name / f"{p.stem}_mask.png" for p in images]
    shape = next(read_mask(p).shape for p in mask_paths if p.exists())
    masks = np.zeros((len(images), *shape), bool)
    scores = np.empty(masks.shape, np.float32)
    for i, path in enumerate(mask_paths):
        if path.exists():
            masks[i] = read_mask(path)
        noise = np.random.default_rng(i).standard_normal(shape, dtype=np.float32)
        scores[i] = cv2.GaussianBlur(masks[i] + 4.0 * noise, (0, 0), 4.0, borderType=cv2.BORDER_REFLECT)
    return scores, masks


def read_mask(path: Path) -> np.ndarray:
    """A ground-truth PNG as a boolean array."""
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise OSError(f"cannot read {path}")
    return image > 0


def large_data() -> tuple[np.ndarray, np.ndarray]:
    """1e8 float32 scores N(0, 1) + label, 10% positive labels; generated in 1M-pixel chunks."""
    scores, labels = np.empty(LARGE_PIXELS, np.float32), np.empty(LARGE_PIXELS, bool)
    step = 1 << 20
    for i, start in enumerate(range(0, LARGE_PIXELS, step)):
        rng = np.random.default_rng(i)
        part = slice(start, min(start + step, LARGE_PIXELS))
        labels[part] = rng.random(part.stop - start, dtype=np.float32) < 0.1
        rng.standard_normal(part.stop - start, dtype=np.float32, out=scores[part])
        scores[part] += labels[part]
    return scores, labels


def measure(case: str, method: str, data: Path) -> dict[str, float]:
    """Build the data, then run one method once: time, traced peak and peak-RSS increase."""
    scores, masks = screw_data(data) if case == "screw" else large_data()
    run = METHODS[case][method]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    value = float(run(scores, masks))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    traced_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    rss_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    return {"value": value, "wall": wall, "cpu": cpu, "rss_mb": rss_mb, "traced_mb": traced_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--skip-sklearn-large", action="store_true", help="skip sklearn on 1e8 pixels (~45 s, +5 GB)")
    parser.add_argument("--worker", nargs=2, metavar=("CASE", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker[0], args.worker[1], args.data)))
        return

    print(
        f"CPU threads: {os.cpu_count()} ({len(os.sched_getaffinity(0))} usable); every timed method is "
        f"single-threaded. Load average at start: {os.getloadavg()[0]:.1f}. "
        f"Python {platform.python_version()}, NumPy {np.__version__}, scikit-learn {sklearn.__version__}.\n"
    )
    cases = ["screw", "1e8"]
    if not (args.data / "mvtec_ad" / "screw" / "ground_truth").is_dir():
        print(f"Skipping the screw case: no MVTec AD screw masks under {args.data}.\n")
        cases.remove("screw")
    header = ["data", "method", "value", "wall s", "CPU s", "peak extra MB (tracemalloc)", "peak RSS extra MB"]
    rows = ["| " + " | ".join([*header, "\\|Δ\\| vs reference"]) + " |", "|---" * (len(header) + 1) + "|"]
    for case in cases:
        results = {}
        for method in METHODS[case]:
            if case == "1e8" and method == SKLEARN_AUROC and args.skip_sklearn_large:
                continue
            command = [sys.executable, __file__, "--data", str(args.data), "--worker", case, method]
            results[method] = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        for method, r in results.items():
            reference = results.get(REFERENCE.get(method, ""))
            delta = f"{abs(r['value'] - reference['value']):.1e}" if reference else ""
            label = "160×512² screw" if case == "screw" else "1e8 synthetic"
            rows.append(
                f"| {label} | {method} | {r['value']:.6f} | {r['wall']:.2f} | {r['cpu']:.2f} | "
                f"{r['traced_mb']:.0f} | {r['rss_mb']:.0f} | {delta} |"
            )
    print("\n".join(rows))


if __name__ == "__main__":
    main()

"""Exactness of pixel AUROC and AUPRO on heavy-tailed scores, and their time and memory on 1e8 pixels.

Usage: .venv/bin/python benchmarks/metric_exactness.py [--repeats 3]

Part 1 (exactness): the three failure cases of equal-width binning, each scored by "old" (a short
re-implementation, below, of the replaced method: 10⁴ equal-width bins over [min, max], ties within a bin
counted half, bin edges as PRO thresholds), by aoikit's planned bins, and by the reference (scikit-learn
`roc_auc_score`; `aupro_exact`, which sorts every pixel). Part 2 (cost): 100 maps of 1000×1000 float32 (1e8
pixels); each method runs in its own subprocess that builds the data, times `--repeats` calls (wall and CPU
time), then runs once under tracemalloc: the peak of traced (NumPy) allocations and the rise of peak RSS
(VmHWM, reset before the call), both beyond the inputs; Linux only. Prints Markdown.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import sklearn
from scipy import ndimage
from sklearn.metrics import roc_auc_score

from aoikit.metrics import aupro, aupro_exact, binned_roc, pixel_auroc
from aoikit.metrics.pro import area_up_to

MAPS, SIDE = 100, 1000
Data = tuple[np.ndarray, np.ndarray]


def equal_width(scores: np.ndarray, bins: int = 10_000) -> np.ndarray:
    """Bin index of every score on `bins` equal-width bins over [min, max] (the old method), flattened."""
    flat = scores.astype(np.float64).ravel()
    lo, hi = flat.min(), flat.max()
    return np.minimum(((flat - lo) * (bins / (hi - lo))).astype(np.intp), bins - 1)


def old_auroc(scores: np.ndarray, labels: np.ndarray, bins: int = 10_000) -> float:
    """Pixel AUROC on equal-width bins, pairs within a bin counted half."""
    index, flat_labels = equal_width(scores, bins), labels.ravel()
    good, defect = (np.bincount(index[side], minlength=bins).astype(np.float64) for side in (~flat_labels, flat_labels))
    return float((defect @ (np.cumsum(good) - good) + 0.5 * (defect @ good)) / (good.sum() * defect.sum()))


def old_aupro(maps: np.ndarray, masks: np.ndarray, bins: int = 10_000, max_fpr: float = 0.3) -> float:
    """AUPRO with the equal-width bin edges as thresholds (N×H×W maps)."""
    index, good_pixels = equal_width(maps, bins), ~masks.ravel()
    weights, regions = np.zeros(masks.shape), 0
    for weight, mask in zip(weights, masks, strict=True):
        components, count = ndimage.label(mask, structure=np.ones((3, 3), bool))
        weight[mask] = 1.0 / np.bincount(components.ravel())[components[mask]]
        regions += count
    good = np.bincount(index[good_pixels], minlength=bins)[::-1]
    overlap = np.bincount(index, weights=weights.ravel(), minlength=bins)[::-1]
    fpr = np.concatenate([[0.0], np.cumsum(good) / good.sum()])
    pro = np.concatenate([[0.0], np.minimum(np.cumsum(overlap) / regions, 1.0)])
    return area_up_to(fpr, pro, max_fpr) / max_fpr


def lognormal() -> Data:
    """1e6 scores lognormal (σ 2), defects (10 %) scaled by 1.5."""
    rng = np.random.default_rng(0)
    labels = rng.random(1_000_000) < 0.1
    return (rng.lognormal(0.0, 2.0, labels.size) * np.where(labels, 1.5, 1.0)).astype(np.float32), labels


def outlier() -> Data:
    """1e6 scores N(0, 1) + label (10 % defects), one good pixel set to 1e6."""
    rng = np.random.default_rng(1)
    labels = rng.random(1_000_000) < 0.1
    scores = (rng.standard_normal(labels.size) + labels).astype(np.float32)
    scores[np.flatnonzero(~labels)[0]] = 1e6
    return scores, labels


def smooth_maps() -> Data:
    """16 maps 256²: blob defects (12 of 16 images), scores = Gaussian(σ 3) of 0.7·mask + noise, standardised."""
    rng = np.random.default_rng(2)
    masks = ndimage.binary_dilation(rng.random((16, 256, 256)) < 0.0003, iterations=5, axes=(1, 2))
    masks[:4] = False
    maps = ndimage.gaussian_filter(0.7 * masks + rng.standard_normal(masks.shape), (0, 3, 3))
    return ((maps - maps.mean()) / maps.std()).astype(np.float32), masks


def exp6(data: Data) -> Data:
    """exp(6x) of the scores (order kept, heavy right tail)."""
    return np.exp(6.0 * data[0].astype(np.float64)).astype(np.float32), data[1]


CASES: dict[str, tuple[Callable[[], Data], str]] = {
    "1e6 lognormal (σ 2)": (lognormal, "AUROC"),
    "1e6 N(0,1)+label, one pixel at 1e6": (outlier, "AUROC"),
    "16×256² standard-score maps": (smooth_maps, "AUPRO@0.3"),
    "exp(6x) of the same maps": (lambda: exp6(smooth_maps()), "AUPRO@0.3"),
}


def exactness_rows() -> list[str]:
    """One Markdown row per case: old, new, reference and the differences."""
    rows = [
        "| data | metric | old: 10⁴ equal-width bins | new: planned bins | reference | \\|old − ref\\| "
        "| \\|new − ref\\| | new tie bound (AUROC) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (make, metric) in CASES.items():
        scores, labels = make()
        bound = binned_roc(scores, labels).tie_bound()
        if metric == "AUROC":
            old, new = old_auroc(scores, labels), pixel_auroc(scores, labels)
            reference = roc_auc_score(labels.ravel(), scores.ravel())
        else:
            old, new, reference = old_aupro(scores, labels), aupro(scores, labels), aupro_exact(scores, labels)
        rows.append(
            f"| {name} | {metric} | {old:.7f} | {new:.7f} | {reference:.7f} | {abs(old - reference):.1e} "
            f"| {abs(new - reference):.1e} | {bound:.1e} |"
        )
    return rows


def large_data() -> Data:
    """100 maps 1000² float32 N(0, 1) + 1.5·mask; defects in 50 maps: 3 discs (r 12) and a 4×300 scratch each."""
    scores = np.empty((MAPS, SIDE, SIDE), np.float32)
    masks = np.zeros(scores.shape, bool)
    yy, xx = np.ogrid[:SIDE, :SIDE]
    for i in range(MAPS):
        rng = np.random.default_rng(i)
        if i % 2:
            for y, x in rng.integers(50, SIDE - 50, (3, 2)):
                masks[i] |= (yy - y) ** 2 + (xx - x) ** 2 <= 144
            row, col = rng.integers(0, SIDE - 300, 2)
            masks[i, row : row + 4, col : col + 300] = True
        rng.standard_normal((SIDE, SIDE), dtype=np.float32, out=scores[i])
        scores[i] += 1.5 * masks[i]
    return scores, masks


METHODS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {"pixel AUROC": pixel_auroc, "AUPRO@0.3": aupro}


def measure(method: str, repeats: int) -> dict[str, float]:
    """Build the 1e8-pixel data, time `repeats` calls, then one traced call: time and memory beyond the inputs."""
    scores, masks = large_data()
    run = METHODS[method]
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        value = float(run(scores, masks))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    Path("/proc/self/clear_refs").write_text("5")  # peak RSS := current RSS
    rss_before = status_mb("VmRSS")
    tracemalloc.start()
    run(scores, masks)
    traced_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    rss_mb = status_mb("VmHWM") - rss_before
    return {
        "value": value,
        "wall_best": min(walls),
        "wall_median": statistics.median(walls),
        "cpu_best": min(cpus),
        "traced_mb": traced_mb,
        "rss_mb": rss_mb,
    }


def status_mb(field: str) -> float:
    """A memory field of /proc/self/status (VmRSS: resident now, VmHWM: peak resident), in MB."""
    match = re.search(rf"{field}:\s*(\d+) kB", Path("/proc/self/status").read_text())
    return int(match.group(1)) * 1024 / 1e6 if match else float("nan")


def cost_rows(repeats: int) -> list[str]:
    """One Markdown row per method on the 1e8-pixel stack, each measured in a fresh subprocess."""
    rows = [
        f"| 1e8 float32 ({MAPS}×{SIDE}×{SIDE}) | value | wall s best / median of {repeats} | CPU s best "
        "| peak extra MB (tracemalloc) | peak RSS extra MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for method in METHODS:
        command = [sys.executable, __file__, "--repeats", str(repeats), "--worker", method]
        r = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        rows.append(
            f"| {method} | {r['value']:.6f} | {r['wall_best']:.2f} / {r['wall_median']:.2f} | {r['cpu_best']:.2f} "
            f"| {r['traced_mb']:.0f} | {r['rss_mb']:.0f} |"
        )
    return rows


def machine() -> str:
    """CPU model, its AVX2/AVX-512/AMX flags, threads, load and library versions."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"model name\s*:\s*(.*)", cpuinfo)
    flags = re.search(r"flags\s*:\s*(.*)", cpuinfo)
    vector = sorted(f for f in (flags.group(1).split() if flags else []) if f.startswith(("avx2", "avx512", "amx")))
    return (
        f"CPU: {model.group(1) if model else platform.processor()}; flags: {' '.join(vector) or 'none'}. "
        f"Threads: {os.cpu_count()} ({len(os.sched_getaffinity(0))} usable); every timed method is single-threaded. "
        f"Load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}. Python {platform.python_version()}, "
        f"NumPy {np.__version__}, scikit-learn {sklearn.__version__}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per method on 1e8 pixels")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker, args.repeats)))
        return
    print(machine() + "\n")
    print("\n".join(exactness_rows()) + "\n")
    print("\n".join(cost_rows(args.repeats)) + "\n")
    print(f"Load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}.")


if __name__ == "__main__":
    main()

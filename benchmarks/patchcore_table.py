"""The default detector (PatchCore, no options) on every dataset here: test metrics, fit time, ms per frame.

Usage: .venv/bin/python benchmarks/patchcore_table.py --out runs/patchcore [--only screw grid ...] [--frames 20]

Each row fits `aoikit train --data DATA` with the defaults (plus the row's stated option) into --out/NAME, unless
that run exists, and evaluates it on the dataset's test split with thresholds calibrated on its held-out good
images: pixel AUROC, AUPRO@0.3, image AUROC, and the share of defective test images caught at the image-score
threshold that flags 1 % of the good test images (an operating point read off the test set, labelled as such).
Then `analyse` timings per frame (p50/p99 over --frames test images, one at a time, after one warm-up) with the
network in torch and in onnxruntime. Prints Markdown.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from aoikit.config import config_from_values, load_config
from aoikit.data.open import open_dataset
from aoikit.evaluation.evaluate import load_test_set
from aoikit.pipeline import evaluate_detector, load_run, train_run
from aoikit.runtime import configure_runtime
from metric_exactness import machine

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ROWS = {
    "screw": (SHARED / "mvtec_ad" / "screw", {}),
    "screw-aligned": (SHARED / "mvtec_ad" / "screw", {"align": True}),
    "grid": (SHARED / "mvtec_ad" / "grid", {}),
    "kolektorsdd": (SHARED / "kolektorsdd", {}),
}


def caught_at(scores: np.ndarray, labels: np.ndarray, false_alarms: float = 0.01) -> float:
    """Share of defective images scoring above the (1 − ``false_alarms``) quantile of the good ones."""
    threshold = np.quantile(scores[labels == 0], 1 - false_alarms)
    return float(np.mean(scores[labels == 1] > threshold))


def frame_ms(run: Path, images: list[np.ndarray], backend: str) -> tuple[float, float]:
    """p50 and p99 milliseconds of one frame's analysis."""
    detector = load_run(run, backend=backend)
    detector.analyse(images[0])
    times = []
    for image in images:
        start = time.perf_counter()
        detector.analyse(image)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def row(name: str, out: Path, frames: int) -> dict[str, float]:
    """Fit (unless done), evaluate and time one dataset's run; cached in OUT/NAME/row.json."""
    data, options = ROWS[name]
    run = out / name
    cache = run / "row.json"
    if cache.exists():
        return dict(json.loads(cache.read_text()))
    fit_s = float("nan")
    if not (run / "model" / "config.json").exists():
        start = time.perf_counter()
        train_run(config_from_values({"data": str(data), "detector": options}), run)
        fit_s = time.perf_counter() - start
    config = load_config(run / "config.yaml")
    detector = load_run(run)
    metrics = evaluate_detector(detector, config, run / "eval", panels=4)[detector.config.window]
    test = load_test_set(open_dataset(data).test)
    scores = detector.score(test.images)
    images = test.images[:frames]
    result = {
        "pixel": float(metrics["pixel_auroc"]),  # type: ignore[arg-type]
        "aupro": float(metrics["aupro"]),  # type: ignore[arg-type]
        "image": float(metrics["image_auroc"]),  # type: ignore[arg-type]
        "caught": caught_at(scores, test.labels),
        "fit_s": fit_s,
        "bank": float(detector.fit_.get("bank", 0)),  # type: ignore[attr-defined]
        "shape": "×".join(str(s) for s in detector.working_shape(test.images[0].shape)),  # type: ignore[dict-item]
    }
    for backend in ("torch", "onnxruntime"):
        result[f"{backend}_p50"], result[f"{backend}_p99"] = frame_ms(run, images, backend)
    cache.write_text(json.dumps(result))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--only", nargs="+", choices=list(ROWS), default=list(ROWS))
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    print(f"{machine()}; torch threads {configure_runtime(args.threads)}\n")
    header = "| dataset | working frame | bank | fit + calibrate s | pixel AUROC | AUPRO@0.3 | image AUROC | "
    print(header + "caught at 1 % false alarms (test-read) | torch ms p50/p99 | onnxruntime ms p50/p99 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.only:
        r = row(name, args.out, args.frames)
        print(
            f"| {name} | {r['shape']} | {r['bank']:.0f} | {r['fit_s']:.0f} | {r['pixel']:.4f} | {r['aupro']:.4f} | "
            f"{r['image']:.4f} | {r['caught']:.3f} | {r['torch_p50']:.0f}/{r['torch_p99']:.0f} | "
            f"{r['onnxruntime_p50']:.0f}/{r['onnxruntime_p99']:.0f} |"
        )


if __name__ == "__main__":
    main()

"""Parity of an ONNX export with its run: largest differences in maps, reconstructions and image scores.

Usage: ``python benchmarks/export_parity.py --run RUN [--data PATH] [--images 10] [--threads 1]``. Exports the run
to a temporary folder, loads it as ``aoikit serve`` would (onnxruntime) and the run itself (torch), and compares
them on the first test images of each defect type and of the good ones. Prints a Markdown row.
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from aoikit.config import load_config
from aoikit.data.dataset import Sample
from aoikit.data.image_io import read_gray
from aoikit.data.open import open_dataset
from aoikit.export import export_detector, load_exported
from aoikit.runs import load_run
from aoikit.runtime import configure_runtime


def _of(samples: list[Sample], kind: str) -> list[Sample]:
    return [s for s in samples if s.defect_type == kind]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--data", type=str, default=None)
    parser.add_argument("--images", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    threads = configure_runtime(args.threads)
    config = load_config(args.run / "config.yaml")
    dataset = open_dataset(Path(args.data or config.data), config.category)
    per_type = max(1, args.images // (len(dataset.defect_types) + 1))
    chosen = [s for kind in ["good", *dataset.defect_types] for s in _of(dataset.test, kind)[:per_type]]
    images = [read_gray(s.path) for s in chosen]
    torch_detector = load_run(args.run, backend="torch")
    with tempfile.TemporaryDirectory() as tmp:
        export_detector(torch_detector, Path(tmp) / "export", source=str(args.run))
        served = load_exported(Path(tmp) / "export", threads=threads)
        window = torch_detector.config.window
        timings, diffs = {}, {"map": 0.0, "map_rel": 0.0, "recon": 0.0}
        analyses = {}
        for name, detector in (("torch", torch_detector), (served.backend, served)):
            start = time.perf_counter()
            analyses[name] = detector.analyse_many(images)
            timings[name] = (time.perf_counter() - start) / len(images)
        for a, b in zip(analyses[served.backend], analyses["torch"], strict=True):
            gap = float(np.abs(a.maps[window] - b.maps[window]).max())
            diffs["map"] = max(diffs["map"], gap)
            diffs["map_rel"] = max(diffs["map_rel"], gap / max(1.0, float(np.abs(b.maps[window]).max())))
            diffs["recon"] = max(diffs["recon"], float(np.abs(a.reconstruction - b.reconstruction).max()))
        scores = [d.image_scores(analyses[n], window) for n, d in ((served.backend, served), ("torch", torch_detector))]
        labels = [s > torch_detector.image_threshold_ for s in scores]
    print(f"run {args.run}, {len(images)} test images, {threads} thread(s); served backend: {served.backend}")
    print(
        "| run | images | max map diff | relative to map max | max reconstruction diff | max score diff |"
        " decisions equal | s/image torch | s/image onnxruntime |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|")
    print(
        f"| {args.run.name} | {len(images)} | {diffs['map']:.2e} | {diffs['map_rel']:.2e} | {diffs['recon']:.2e} | "
        f"{float(np.abs(scores[0] - scores[1]).max()):.2e} | {bool((labels[0] == labels[1]).all())} | "
        f"{timings['torch']:.3f} | {timings[served.backend]:.3f} |"
    )


if __name__ == "__main__":
    main()

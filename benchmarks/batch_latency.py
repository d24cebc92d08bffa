"""Does batching frames through the network pay on this CPU? GANomaly generators in onnxruntime, per-frame time by
batch size.

Usage: ``python benchmarks/batch_latency.py [--widths 16,64] [--batches 1,2,4,8] [--threads 1,2]``.
Untrained GANomaly-SSIM-SSIM generators at 128² (the cost of a frame does not depend on the weights), one session
per width and thread count (spinning off, as ``aoikit serve`` runs it); median ms per call and per frame over
``--calls`` calls after 5 warm-up calls. Prints the CPU and its SIMD flags, then a Markdown table.
"""

import argparse
import time
from typing import Any

import numpy as np
import torch

from aoikit.evaluation.latency import timing_setup
from aoikit.models.ganomaly.detector import GANomalyDetector, GANomalyDetectorConfig
from aoikit.models.ganomaly.export import to_onnx
from aoikit.models.onnx_backend import session
from serve_load import cpu_line


def per_call_ms(run: Any, batch: int, calls: int) -> float:
    """Median ms of one call on ``batch`` random 128² frames."""
    x = np.random.default_rng(0).random((batch, 1, 128, 128), dtype=np.float32)
    for _ in range(5):
        run.run(None, {"x": x})
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        run.run(None, {"x": x})
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="16,64", help="generator widths (ngf = ndf)")
    parser.add_argument("--batches", default="1,2,4,8")
    parser.add_argument("--threads", default="1,2", help="onnxruntime intra-op threads")
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args()
    _, conditions = timing_setup()
    print(f"{cpu_line()}\n{conditions}\n")
    print("| width | threads | batch | ms per call | ms per frame | per frame vs batch 1 |")
    print("|---:|---:|---:|---:|---:|---:|")
    for width in (int(w) for w in args.widths.split(",")):
        torch.manual_seed(0)
        config = GANomalyDetectorConfig(model="ganomaly-ssim-ssim", model_config={"ngf": width, "ndf": width})
        graph = to_onnx(GANomalyDetector(config).build_model().eval())
        for threads in (int(t) for t in args.threads.split(",")):
            run = session(graph, threads)
            first = None
            for batch in (int(b) for b in args.batches.split(",")):
                ms = per_call_ms(run, batch, args.calls)
                first = first or ms / batch
                print(f"| {width} | {threads} | {batch} | {ms:.2f} | {ms / batch:.2f} | {ms / batch / first:.2f} |")


if __name__ == "__main__":
    main()

"""Training throughput of the SSIM autoencoder: the default training path against plain fp32 eager.

Usage: ``python benchmarks/train_throughput.py [--threads 2] [--steps 30] [--batch-size 16]``.
Both paths train the same model on synthetic random 128² patches in one process; their steps are
interleaved in rounds so that load from other processes hits both alike. Prints a Markdown table;
its minor page faults per step show whether malloc keeps freed memory (tens) or not (thousands).
"""

import argparse
import os
import resource
import statistics
import time
from collections.abc import Callable

import torch

from aoikit.models import create_model
from aoikit.runtime import configure_runtime, tune_malloc
from aoikit.training import ReconstructionStep, TrainConfig

ROUND = 5
"""Steps timed back to back before switching to the other path."""


def make_step(amp: bool, batch_size: int, seed: int = 0) -> Callable[[], None]:
    """A closure running one training step of a fresh model on a fixed random batch."""
    torch.manual_seed(seed)
    step = ReconstructionStep(amp=amp)
    model = step.prepare(create_model("ssim_ae"))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-4)
    batch = torch.rand(batch_size, 1, 128, 128)

    def run() -> None:
        step.train_step(model, batch, optimizer)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=30, help="timed steps per path (after 3 warm-up steps)")
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()

    env = {k: os.environ.get(k, "unset") for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")}
    mallopt = tune_malloc()
    threads = configure_runtime(args.threads)
    print(f"threads: {threads}; torch {torch.__version__}; load average: {os.getloadavg()}")
    print(f"malloc env: {env}; mallopt set: {mallopt or 'nothing (env set or not glibc)'}\n")

    default_amp = TrainConfig().amp
    paths = {
        f"default (amp={default_amp}, batch {args.batch_size})": make_step(default_amp, args.batch_size),
        f"fp32 eager (batch {args.batch_size})": make_step(False, args.batch_size),
    }
    seconds: dict[str, list[float]] = {name: [] for name in paths}
    faults = dict.fromkeys(paths, 0)
    for run in paths.values():
        for _ in range(3):
            run()
    for _ in range(-(-args.steps // ROUND)):
        for name, run in paths.items():
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            for _ in range(ROUND):
                start = time.perf_counter()
                run()
                seconds[name].append(time.perf_counter() - start)
            faults[name] += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    rates = {name: args.batch_size / statistics.median(t) for name, t in seconds.items()}
    baseline = rates[next(reversed(rates))]
    print("| path | patches/s (median step) | vs fp32 eager | timed steps | page faults / step |")
    print("|---|---:|---:|---:|---:|")
    for name, rate in rates.items():
        steps = len(seconds[name])
        print(f"| {name} | {rate:.1f} | {rate / baseline:.2f}x | {steps} | {faults[name] / steps:.0f} |")


if __name__ == "__main__":
    main()

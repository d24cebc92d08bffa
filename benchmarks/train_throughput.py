"""Training throughput of the SSIM autoencoder: fp32 eager against bf16 autocast, and which is the default.

Usage: ``python benchmarks/train_throughput.py [--threads N] [--steps 30] [--batch-size 16]``.
Both paths train the same model on synthetic random 128² patches in one process; their steps are
interleaved in rounds so that load from other processes hits both alike. Prints the CPU flags, the
precision ``amp="auto"`` resolves to here and a Markdown table that marks the default path; its minor
page faults per step show whether malloc keeps freed memory (tens) or not (thousands).

``--competitor N`` instead times the default path in subprocesses while N busy-looping processes run
beside them: the default thread count, 1 and 2 threads, each with the OpenMP wait policy aoikit sets
(PASSIVE) and with libgomp's default (torch loaded before aoikit, so the policy stays unset). libgomp
reads the policy once, when torch loads, hence one subprocess per setting, repeated in ``--rounds``.
``--competitor 0`` runs the same table without added load.
"""

import aoikit  # noqa: F401  # first: sets OMP_WAIT_POLICY before torch loads

# isort: split

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

from aoikit.models import create_model
from aoikit.runtime import configure_runtime, resolve_amp, tune_malloc
from aoikit.training import ReconstructionStep, TrainConfig

ROUND = 5
"""Steps timed back to back before switching to the other path."""
CPU = torch.device("cpu")
TORCH_FIRST = "import torch, runpy, sys; sys.argv.pop(0); runpy.run_path(sys.argv[0], run_name='__main__')"
"""Runs this script with torch (and libgomp) loaded before aoikit can set OMP_WAIT_POLICY."""
SPIN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass"


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


def cpu_line() -> str:
    """The CPU's name, its AVX2 / AVX-512 / AMX flags and the kernel level torch dispatches at."""
    caps = torch.cpu.get_capabilities()
    flags = [name for name, on in caps.items() if on is True and name.startswith(("avx2", "avx512", "amx"))]
    level = torch.backends.cpu.get_cpu_capability()
    return f"CPU: {caps.get('cpu_name', '?')}; flags: {' '.join(sorted(flags)) or 'none'}; torch dispatch: {level}"


def conditions(threads: int) -> str:
    env = {k: os.environ.get(k, "unset") for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")}
    return (
        f"threads: {threads}; torch {torch.__version__}; OMP_WAIT_POLICY: {os.environ.get('OMP_WAIT_POLICY')}; "
        f"load average: {os.getloadavg()}\nmalloc env: {env}"
    )


def compare_paths(threads: int | None, steps: int, batch_size: int) -> None:
    """Interleave fp32 eager and bf16 autocast in this process; mark the one ``amp="auto"`` resolves to."""
    mallopt = tune_malloc()
    count = configure_runtime(threads)
    default_amp = resolve_amp(TrainConfig().amp, CPU)
    print(f"{cpu_line()}\nresolved precision (amp={TrainConfig().amp!r}): {'bf16' if default_amp else 'fp32'}")
    print(f"{conditions(count)}; mallopt set: {mallopt or 'nothing (env set or not glibc)'}\n")
    names = {False: "fp32 eager", True: "bf16 autocast + channels-last (amp=true)"}
    paths = {amp: make_step(amp, batch_size) for amp in names}
    seconds: dict[bool, list[float]] = {amp: [] for amp in paths}
    faults = dict.fromkeys(paths, 0)
    for run in paths.values():
        for _ in range(3):
            run()
    for _ in range(-(-steps // ROUND)):
        for amp, run in paths.items():
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            for _ in range(ROUND):
                start = time.perf_counter()
                run()
                seconds[amp].append(time.perf_counter() - start)
            faults[amp] += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    rates = {amp: batch_size / statistics.median(t) for amp, t in seconds.items()}
    print(f"| path (batch {batch_size}) | patches/s (median step) | vs fp32 eager | timed steps | page faults / step |")
    print("|---|---:|---:|---:|---:|")
    for amp, rate in rates.items():
        name = f"{names[amp]}: the default here" if amp == default_amp else names[amp]
        steps_done = len(seconds[amp])
        print(f"| {name} | {rate:.1f} | {rate / rates[False]:.2f}x | {steps_done} | {faults[amp] / steps_done:.0f} |")


def worker(threads: int | None, batch_size: int, seconds: float) -> None:
    """Time the default path for at least ``seconds`` (and 3 steps); print one JSON line of step times."""
    tune_malloc()
    count = configure_runtime(threads)
    run = make_step(resolve_amp(TrainConfig().amp, CPU), batch_size)
    for _ in range(2):
        run()
    times: list[float] = []
    begin = time.perf_counter()
    while len(times) < 3 or time.perf_counter() - begin < seconds:
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    print(json.dumps({"threads": count, "times": times}))


@contextmanager
def competitors(count: int, limit_s: float) -> Iterator[None]:
    """``count`` busy-looping processes, each ending by itself after ``limit_s`` and killed on exit."""
    spinners = [subprocess.Popen([sys.executable, "-c", SPIN.format(seconds=limit_s)]) for _ in range(count)]
    try:
        time.sleep(1.0)
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def run_worker(threads: int | None, policy: str, batch_size: int, seconds: float) -> dict[str, object]:
    """One worker subprocess; ``policy`` "aoikit" leaves OMP_WAIT_POLICY to aoikit, "unset" loads torch first."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    args = [__file__, "--worker", "--batch-size", str(batch_size), "--seconds", str(seconds)]
    args += ["--threads", str(threads)] if threads else []
    command = [sys.executable, *(["-c", TORCH_FIRST] if policy == "unset" else []), *args]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def compare_threads(count: int, rounds: int, batch_size: int, seconds: float) -> None:
    """Default threads, 1 and 2 threads, PASSIVE against libgomp's default, beside ``count`` busy processes."""
    settings = [(None, "aoikit"), (1, "aoikit"), (2, "aoikit"), (1, "unset"), (2, "unset")]
    print(f"{cpu_line()}\n{conditions(configure_runtime(None))}\nbusy processes beside: {count}\n")
    times: dict[tuple[int | None, str], list[float]] = {s: [] for s in settings}
    threads_used: dict[tuple[int | None, str], object] = {}
    with competitors(count, limit_s=rounds * len(settings) * (seconds + 120)):
        for _ in range(rounds):
            for threads, policy in settings:
                result = run_worker(threads, policy, batch_size, seconds)
                times[threads, policy] += result["times"]  # type: ignore[arg-type]
                threads_used[threads, policy] = result["threads"]
    print(f"load average after: {os.getloadavg()}\n")
    rates = {s: batch_size / statistics.median(t) for s, t in times.items()}
    one = rates[1, "aoikit"]
    print("| threads | OMP_WAIT_POLICY | patches/s (median step) | vs 1 thread | timed steps |")
    print("|---|---|---:|---:|---:|")
    for (threads, policy), rate in rates.items():
        name = f"default ({threads_used[threads, policy]})" if threads is None else str(threads)
        label = "PASSIVE (aoikit)" if policy == "aoikit" else "unset (libgomp default)"
        print(f"| {name} | {label} | {rate:.1f} | {rate / one:.2f}x | {len(times[threads, policy])} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="default: every available core")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per path (after 3 warm-up steps)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--competitor", type=int, default=None, help="busy processes beside a thread comparison")
    parser.add_argument("--rounds", type=int, default=2, help="subprocesses per setting with --competitor")
    parser.add_argument("--seconds", type=float, default=20.0, help="timing per subprocess with --competitor")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.threads, args.batch_size, args.seconds)
    elif args.competitor is not None:
        compare_threads(args.competitor, args.rounds, args.batch_size, args.seconds)
    else:
        compare_paths(args.threads, args.steps, args.batch_size)


if __name__ == "__main__":
    main()

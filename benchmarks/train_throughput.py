"""Training throughput of the SSIM autoencoder: fp32 eager against bf16 autocast, and which is the default.

Usage: ``python benchmarks/train_throughput.py [--threads N] [--steps 30] [--batch-size 16]``.
Both paths train the same model on synthetic random 128² patches in one process; their steps are
interleaved in rounds so that load from other processes hits both alike. Prints the CPU flags, the
precision ``amp="auto"`` resolves to here and a Markdown table that marks the default path; its minor
page faults per step show whether malloc keeps freed memory (tens) or not (thousands).

``--competitor N`` instead times the default path while N busy-looping processes run beside it: the
default thread setting (every core, lowered by :class:`aoikit.threads.ThreadGovernor` as training does),
1 and 2 threads, each with the OpenMP wait policy aoikit sets (PASSIVE) and with libgomp's default (torch
loaded before aoikit, so the policy stays unset). libgomp reads the policy once, when torch loads, hence one
worker process per setting; the workers take turns of a few steps. Rates there are total patches over total
time, so the governor's trial steps at the slower count are paid for. ``--competitor 0`` runs the same table
without added load.
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
from aoikit.runtime import configure_runtime, resolve_amp, setup_runtime, tune_malloc
from aoikit.training import ReconstructionStep, TrainConfig

ROUND = 5
"""Steps timed back to back before switching to the other path."""
TURN = 2
"""Steps a worker runs before the next one takes over (``--competitor``)."""
SPIN_LIMIT_S = 3600
"""The busy processes end by themselves after this long if the benchmark cannot kill them."""
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


def worker(threads: int | None, batch_size: int) -> None:
    """Serve timing requests on stdin: each line N runs N steps of the default path and prints their times."""
    tune_malloc()
    runtime = setup_runtime("cpu", TrainConfig().amp, threads)
    governor = runtime.governor()
    run = make_step(runtime.amp, batch_size)
    print(json.dumps({"threads": runtime.threads}), flush=True)
    for line in sys.stdin:
        times = []
        for _ in range(int(line)):
            start = time.perf_counter()
            with governor.step():
                run()
            times.append(time.perf_counter() - start)
        print(json.dumps({"times": times, "counts": governor.counts}), flush=True)


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


def start_worker(threads: int | None, policy: str, batch_size: int) -> tuple[subprocess.Popen[str], int]:
    """A worker subprocess and its thread count; ``policy`` "aoikit" leaves OMP_WAIT_POLICY to aoikit,
    "unset" loads torch before aoikit."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    args = [__file__, "--worker", "--batch-size", str(batch_size), *(["--threads", str(threads)] if threads else [])]
    command = [sys.executable, *(["-c", TORCH_FIRST] if policy == "unset" else []), *args]
    process = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, json.loads(process.stdout.readline())["threads"]


def ask(process: subprocess.Popen[str], steps: int) -> tuple[list[float], dict[str, int]]:
    """Have a worker run ``steps`` steps; their times in seconds and the steps run so far at each thread count."""
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(f"{steps}\n")
    process.stdin.flush()
    answer = json.loads(process.stdout.readline())
    return answer["times"], answer["counts"]


SETTINGS = {
    "default": (None, "aoikit"),
    "1": (1, "aoikit"),
    "2": (2, "aoikit"),
    "1-unset": (1, "unset"),
    "2-unset": (2, "unset"),
}
"""``--settings`` names: thread count and OpenMP wait policy of each worker."""


def compare_threads(count: int, steps: int, batch_size: int, names: list[str]) -> None:
    """Default threads, 1 and 2 threads, PASSIVE against libgomp's default, beside ``count`` busy processes.

    One live worker process per setting; they take turns of ``TURN`` steps, so load from elsewhere hits all alike.
    """
    settings = [SETTINGS[name] for name in dict.fromkeys([*names, "1"])]  # "1" is the reference
    print(f"{cpu_line()}\n{conditions(configure_runtime(None))}\nbusy processes beside: {count}\n")
    times: dict[tuple[int | None, str], list[float]] = {s: [] for s in settings}
    counts: dict[tuple[int | None, str], dict[str, int]] = {}
    with competitors(count, limit_s=SPIN_LIMIT_S):
        workers = {s: start_worker(*s, batch_size) for s in settings}
        try:
            for process, _ in workers.values():
                ask(process, 2)  # warm-up
            for _ in range(-(-steps // TURN)):
                for setting, (process, _) in workers.items():
                    done, counts[setting] = ask(process, TURN)
                    times[setting] += done
        finally:
            for process, _ in workers.values():
                process.kill()
                process.wait()
    print(f"load average after: {os.getloadavg()}\n")
    rates = {s: batch_size * len(t) / sum(t) for s, t in times.items()}
    one = rates[1, "aoikit"]
    print(
        f"| threads | OMP_WAIT_POLICY | patches/s (all steps, batch {batch_size}) | vs 1 thread | steps at each count |"
    )
    print("|---|---|---:|---:|---|")
    for (threads, policy), rate in rates.items():
        name = f"default ({workers[threads, policy][1]}, governed)" if threads is None else str(threads)
        label = "PASSIVE (aoikit)" if policy == "aoikit" else "unset (libgomp default)"
        spread = ", ".join(f"{n}: {c}" for n, c in sorted(counts[threads, policy].items()))
        print(f"| {name} | {label} | {rate:.1f} | {rate / one:.2f}x | {spread} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="default: every available core")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per path (after 3 warm-up steps)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--competitor", type=int, default=None, help="busy processes beside a thread comparison")
    parser.add_argument("--settings", nargs="+", choices=list(SETTINGS), default=list(SETTINGS), help="--competitor")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.threads, args.batch_size)
    elif args.competitor is not None:
        compare_threads(args.competitor, args.steps, args.batch_size, args.settings)
    else:
        compare_paths(args.threads, args.steps, args.batch_size)


if __name__ == "__main__":
    main()

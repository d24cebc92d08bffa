"""Per-frame latency: call a function one frame at a time after a warm-up, report percentiles in ms."""

import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from aoikit.runtime import available_cores, configure_runtime, tune_malloc

MALLOC_ENV = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo, or "unknown CPU"."""
    info = Path("/proc/cpuinfo")
    found = re.search(r"^model name\s*:\s*(.+)$", info.read_text(), re.M) if info.exists() else None
    return found.group(1) if found else "unknown CPU"


def timing_setup(threads: int | None = None) -> tuple[int, str]:
    """Set threads and malloc as the library does; return the thread count and a line describing the conditions.

    The line names threads and cores, the torch version, the malloc settings and the 1-minute load
    average, so that a published timing says whether the machine was quiet.
    """
    env = ", ".join(f"{k}={os.environ.get(k, 'unset')}" for k in MALLOC_ENV)
    mallopt = tune_malloc()
    count = configure_runtime(threads)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return count, (
        f"{count} of {available_cores()} cores, torch {torch.__version__}, malloc env {env}, "
        f"mallopt set {mallopt or 'nothing'}, load average {load:.2f}"
    )


def frame_latency(run: Callable[[], object], frames: int = 200, warmup: int = 20) -> dict[str, float]:
    """Milliseconds per call of ``run``: ``p50``, ``p99`` and ``mean`` over ``frames`` timed calls.

    ``warmup`` untimed calls come first (allocator, thread pools and caches settle there).
    """
    if frames < 1 or warmup < 0:
        raise ValueError(f"frames must be positive and warmup non-negative, got {frames} and {warmup}")
    for _ in range(warmup):
        run()
    ms = np.empty(frames)
    for i in range(frames):
        start = time.perf_counter()
        run()
        ms[i] = (time.perf_counter() - start) * 1e3
    return {"p50": float(np.percentile(ms, 50)), "p99": float(np.percentile(ms, 99)), "mean": float(ms.mean())}

"""Process-wide CPU settings for PyTorch: thread count and glibc malloc thresholds.

glibc's default malloc returns large freed blocks to the kernel and raises its mmap threshold
dynamically, so every training step maps fresh pages and page-faults on them. Fixed thresholds keep
freed tensor memory in the heap for reuse. The environment variables ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` do this from process start; :func:`tune_malloc` does the same at run time
through ``mallopt`` when they are not set.
"""

import ctypes
import os
import sys

import torch

from aoikit.errors import AoikitError

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 1_000_000_000
"""Same value as ``MALLOC_MMAP_THRESHOLD_`` in the Makefile."""
MMAP_THRESHOLD_FALLBACK = 32 * 2**20
"""The largest value older glibc accepts through ``mallopt`` on 64-bit (HEAP_MAX_SIZE / 2)."""
TRIM_THRESHOLD = 2**31 - 1
"""``mallopt`` takes a C int, so this is the largest trim threshold it can set (about 2 GiB)."""


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None)
    return libc if hasattr(libc, "gnu_get_libc_version") and hasattr(libc, "mallopt") else None


def _tunable_set(name: str) -> bool:
    return f"glibc.malloc.{name}=" in os.environ.get("GLIBC_TUNABLES", "")


def tune_malloc() -> dict[str, int]:
    """Fix glibc's mmap and trim thresholds unless the environment already sets them.

    Returns:
        The value set for each of ``mmap_threshold`` and ``trim_threshold``: empty off glibc or when
        ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` (or ``GLIBC_TUNABLES``) already set it.
    """
    libc = _glibc()
    if libc is None:
        return {}
    done: dict[str, int] = {}
    if "MALLOC_MMAP_THRESHOLD_" not in os.environ and not _tunable_set("mmap_threshold"):
        for value in (MMAP_THRESHOLD, MMAP_THRESHOLD_FALLBACK):  # mallopt returns 0 when it refuses a value
            if libc.mallopt(M_MMAP_THRESHOLD, value) == 1:
                done["mmap_threshold"] = value
                break
    if (
        "MALLOC_TRIM_THRESHOLD_" not in os.environ
        and not _tunable_set("trim_threshold")
        and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    ):
        done["trim_threshold"] = TRIM_THRESHOLD
    return done


def available_cores() -> int:
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def configure_runtime(threads: int | None = None) -> int:
    """Tune malloc (see :func:`tune_malloc`) and set PyTorch's CPU threads; None uses every available core.

    Returns:
        The number of threads set.
    """
    if threads is not None and threads < 1:
        raise AoikitError(f"threads must be at least 1, got {threads}")
    tune_malloc()
    count = threads or available_cores()
    torch.set_num_threads(count)
    return count


def resolve_device(name: str = "auto") -> torch.device:
    """The torch device for "auto" (CUDA when available), "cpu", "cuda" or "cuda:N"."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise AoikitError(f"unknown device {name!r}; use auto, cpu, cuda or cuda:N") from None
    if device.type not in ("cpu", "cuda"):
        raise AoikitError(f"unsupported device {name!r}; use auto, cpu, cuda or cuda:N")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise AoikitError(f"device {name!r} asked for, but no CUDA device is available")
    return device

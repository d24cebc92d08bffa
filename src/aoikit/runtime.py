"""Where and how training runs: device, precision, thread count and glibc malloc thresholds.

Mixed precision pays only where bfloat16 is native (a CPU with AVX512-BF16 or AMX, a CUDA device with
bf16 support); elsewhere bf16 autocast is emulated and several times slower than float32, so
``amp="auto"`` turns it on only there (:func:`resolve_amp`).

glibc's default malloc returns large freed blocks to the kernel and raises its mmap threshold
dynamically, so every training step maps fresh pages and page-faults on them. Fixed thresholds keep
freed tensor memory in the heap for reuse. The environment variables ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` do this from process start; :func:`tune_malloc` does the same at run time
through ``mallopt`` when they are not set.
"""

import ctypes
import os
import sys
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from aoikit.errors import AoikitError
from aoikit.threads import ThreadGovernor, thread_governor

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


DEVICES = "auto, cpu, cuda or cuda:N"
BF16_CPU_FEATURES = ("avx512_bf16", "amx_bf16")


def check_device(name: str) -> None:
    """Raise :class:`AoikitError` unless ``name`` spells auto, cpu, cuda or cuda:N (availability is not checked)."""
    if name == "auto":
        return
    try:
        device = torch.device(name) if isinstance(name, str) else None
    except RuntimeError:
        device = None
    if device is None or device.type not in ("cpu", "cuda") or (device.type == "cpu" and device.index is not None):
        raise AoikitError(f"unknown device {name!r}; choose {DEVICES}")


def resolve_device(name: str = "auto") -> torch.device:
    """The device to train on: ``"auto"`` takes CUDA when available, else the CPU.

    Raises:
        AoikitError: ``name`` is not one of auto, cpu, cuda, cuda:N, or names a CUDA device that is absent.
    """
    check_device(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise AoikitError(f"device {name!r}: no CUDA device available (torch {torch.__version__})")
        if device.index is not None and device.index >= count:
            raise AoikitError(f"device {name!r}: only {count} CUDA device(s), numbered from 0")
    return device


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bfloat16 natively: a CPU with AVX512-BF16 or AMX whose kernels PyTorch
    dispatches at AVX-512 (not lowered by ``ATEN_CPU_CAPABILITY``), or a CUDA device with bf16 support."""
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported(including_emulation=False))
    if device.type != "cpu":
        return False
    features = torch.cpu.get_capabilities()
    has_bf16 = any(features.get(name, False) for name in BF16_CPU_FEATURES)
    return has_bf16 and torch.backends.cpu.get_cpu_capability() == "AVX512"


def check_amp(setting: bool | str) -> None:
    """Raise :class:`AoikitError` unless ``setting`` is True, False or ``"auto"``."""
    if not isinstance(setting, bool) and setting != "auto":
        raise AoikitError(f"amp must be true, false or auto, got {setting!r}")


def resolve_amp(setting: bool | str, device: torch.device) -> bool:
    """Whether to train under bfloat16 autocast: True/False force it; ``"auto"`` uses it where bf16 is native."""
    check_amp(setting)
    return native_bf16(device) if setting == "auto" else bool(setting)


@dataclass
class RuntimeOptions:
    """Training options every device-aware family takes: ``seed``; ``threads`` (None: every core, fewer while
    the machine is busy); ``amp`` (True/False force bfloat16 autocast; ``"auto"`` only where bf16 is native);
    ``device`` (auto, cpu, cuda or cuda:N)."""

    seed: int = 0
    threads: int | None = None
    amp: bool | str = "auto"
    device: str = "auto"

    def __post_init__(self) -> None:
        check_amp(self.amp)
        check_device(self.device)


@dataclass(frozen=True)
class Runtime:
    """The resolved device, precision and CPU thread count of a training run."""

    device: torch.device
    amp: bool
    threads: int
    auto_threads: bool = False
    """Whether training may lower ``threads`` while the machine is busy (:class:`aoikit.threads.ThreadGovernor`)."""

    @property
    def precision(self) -> str:
        """``"bf16"`` (bfloat16 autocast) or ``"fp32"``."""
        return "bf16" if self.amp else "fp32"

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form, as saved in checkpoints: {"device", "precision", "threads", "auto_threads"}."""
        return {
            "device": str(self.device),
            "precision": self.precision,
            "threads": self.threads,
            "auto_threads": self.auto_threads,
        }

    def governor(self) -> ThreadGovernor:
        """The thread governor training steps run under (a plain timer unless ``auto_threads``)."""
        return thread_governor(None if self.auto_threads else self.threads, self.threads, self.device)

    def __str__(self) -> str:
        fewer = " (fewer while the machine is busy)" if self.auto_threads else ""
        return f"device {self.device}, precision {self.precision}, {self.threads} CPU thread(s){fewer}"


def setup_runtime(device: str = "auto", amp: bool | str = "auto", threads: int | None = None) -> Runtime:
    """Resolve ``device`` and ``amp`` and apply :func:`configure_runtime`; the result says what training will use."""
    resolved = resolve_device(device)
    use_amp = resolve_amp(amp, resolved)
    count = configure_runtime(threads)
    return Runtime(resolved, use_amp, count, auto_threads=threads is None and resolved.type == "cpu" and count > 1)


def to_device(batch: Tensor, device: torch.device) -> Tensor:
    """``batch`` on ``device``; to CUDA through pinned memory, without blocking the host."""
    if device.type != "cuda":
        return batch.to(device)
    if not batch.is_pinned():
        batch = batch.pin_memory()
    return batch.to(device, non_blocking=True)

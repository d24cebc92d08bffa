"""Runtime settings: threads, glibc malloc, the OpenMP wait policy, the training device and precision."""

import os
import subprocess
import sys
from typing import Any

import pytest
import torch

from aoikit import runtime
from aoikit.config import resolve_config
from aoikit.errors import AoikitError
from aoikit.models.ganomaly.loop import GANTrainConfig
from aoikit.training import TrainConfig

CPU = torch.device("cpu")


def test_threads() -> None:
    before = torch.get_num_threads()
    try:
        assert runtime.configure_runtime(1) == 1 and torch.get_num_threads() == 1
        assert runtime.configure_runtime(None) == runtime.available_cores()
    finally:
        torch.set_num_threads(before)
    with pytest.raises(AoikitError, match="threads"):
        runtime.configure_runtime(0)


@pytest.mark.skipif(runtime._glibc() is None, reason="needs glibc")
def test_mallopt_respects_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "100000000000")
    assert runtime.tune_malloc() == {"mmap_threshold": runtime.MMAP_THRESHOLD}
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "1000000000")
    assert runtime.tune_malloc() == {}


def test_no_op_off_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "_glibc", lambda: None)
    assert runtime.tune_malloc() == {}


def wait_policy(env: dict[str, str]) -> str:
    code = "import aoikit, os; print(os.environ['OMP_WAIT_POLICY'])"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout


def test_openmp_workers_sleep_unless_the_user_says_otherwise() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert wait_policy(env).strip() == "PASSIVE"
    assert wait_policy({**env, "OMP_WAIT_POLICY": "ACTIVE"}).strip() == "ACTIVE"


def fake_cpu(monkeypatch: pytest.MonkeyPatch, dispatch: str, **features: bool) -> None:
    """Make torch report a CPU with ``features`` whose kernels it dispatches at ``dispatch``."""
    caps: dict[str, Any] = {"architecture": "x86_64", "avx2": True, **features}
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: caps)
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: dispatch)


@pytest.mark.parametrize(
    ("dispatch", "features", "native"),
    [
        ("AVX2", {}, False),  # AMD Zen 3, Intel before Cooper Lake: bf16 emulated
        ("AVX512", {"avx512_f": True}, False),  # AVX-512 without bf16 (Skylake-X)
        ("AVX512", {"avx512_f": True, "avx512_bf16": True}, True),  # Zen 4, Cooper Lake
        ("AVX512", {"avx512_f": True, "amx_bf16": True, "amx_tile": True}, True),  # Sapphire Rapids
        ("AVX2", {"avx512_f": True, "avx512_bf16": True}, False),  # dispatch lowered by ATEN_CPU_CAPABILITY
    ],
)
def test_bf16_is_native_only_with_avx512_bf16_or_amx(
    monkeypatch: pytest.MonkeyPatch, dispatch: str, features: dict[str, bool], native: bool
) -> None:
    fake_cpu(monkeypatch, dispatch, **features)
    assert runtime.native_bf16(CPU) is native
    assert runtime.resolve_amp("auto", CPU) is native
    assert runtime.resolve_amp(True, CPU) is True and runtime.resolve_amp(False, CPU) is False


def test_bf16_on_cuda_follows_the_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: not including_emulation)
    assert runtime.resolve_amp("auto", torch.device("cuda")) is True
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: False)
    assert runtime.resolve_amp("auto", torch.device("cuda")) is False


@pytest.mark.parametrize("setting", ["yes", "true", 1, None])
def test_amp_rejects_anything_but_true_false_auto(setting: Any) -> None:
    with pytest.raises(AoikitError, match="amp must be true, false or auto"):
        runtime.resolve_amp(setting, CPU)


def fake_gpus(monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: count > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)


def test_device_auto_takes_cuda_when_there_is_one(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_gpus(monkeypatch, 0)
    assert runtime.resolve_device() == CPU and runtime.resolve_device("cpu") == CPU
    fake_gpus(monkeypatch, 2)
    assert runtime.resolve_device() == torch.device("cuda")
    assert runtime.resolve_device("cuda:1") == torch.device("cuda", 1)


def test_unavailable_cuda_device(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_gpus(monkeypatch, 0)
    with pytest.raises(AoikitError, match="no CUDA device"):
        runtime.resolve_device("cuda")
    fake_gpus(monkeypatch, 2)
    with pytest.raises(AoikitError, match="only 2 CUDA"):
        runtime.resolve_device("cuda:2")


@pytest.mark.parametrize("name", ["gpu", "mps", "cpu:1", "cuda:x", "", 0])
def test_unknown_device(name: Any) -> None:
    with pytest.raises(AoikitError, match="unknown device"):
        runtime.resolve_device(name)


def test_setup_runtime_reports_what_training_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_gpus(monkeypatch, 0)
    fake_cpu(monkeypatch, "AVX2")
    before = torch.get_num_threads()
    try:
        found = runtime.setup_runtime("auto", "auto", 1)
    finally:
        torch.set_num_threads(before)
    assert found.as_dict() == {"device": "cpu", "precision": "fp32", "threads": 1, "auto_threads": False}
    assert str(found) == "device cpu, precision fp32, 1 CPU thread(s)"


@pytest.mark.parametrize("config", [TrainConfig, GANTrainConfig])
def test_train_configs_check_amp_and_device_when_built(config: Any) -> None:
    assert config().amp == "auto" and config().device == "auto"
    config(amp=False, device="cuda:1")  # spelled right: whether the GPU exists is checked when training starts
    with pytest.raises(AoikitError, match="amp"):
        config(amp="fast")
    with pytest.raises(AoikitError, match="unknown device"):
        config(device="gpu")


def test_run_configuration_checks_amp_and_device() -> None:
    assert resolve_config(None, {"train.amp": True, "train.device": "cpu"}).train.amp is True
    with pytest.raises(AoikitError, match="amp"):
        resolve_config(None, {"train.amp": "maybe"})

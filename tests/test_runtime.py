"""configure_runtime sets threads and tunes glibc malloc unless the environment already does."""

import pytest
import torch

from aoikit import runtime
from aoikit.errors import AoikitError


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

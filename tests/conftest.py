"""Shared fixtures: a tiny synthetic dataset and single-threaded torch for fast, quiet tests."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from aoikit.data.synthetic import make_synthetic_dataset


def pytest_configure(config: pytest.Config) -> None:
    """Start the session on one torch thread, before any fixture builds a model."""
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Each test starts on one torch thread (tiny tensors gain nothing from more, and two threads stall
    when another process holds a core); a test or command that changes it is reset afterwards."""
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MVTec-layout category of 128-px brick images with painted defects."""
    root = tmp_path_factory.mktemp("synthetic")
    return make_synthetic_dataset(root, size=128, n_train=10, n_test_good=3, n_test_defect=6, seed=1)

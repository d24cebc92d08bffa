"""Shared fixtures: a tiny synthetic dataset and single-threaded torch for fast, quiet tests."""

from pathlib import Path

import pytest
import torch

from aoikit.data.synthetic import make_synthetic_dataset

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True, scope="session")
def _one_thread() -> None:
    """Tiny tensors run far faster on one thread, especially with the other core busy."""
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MVTec-layout category of 128-px brick images with painted defects."""
    root = tmp_path_factory.mktemp("synthetic")
    return make_synthetic_dataset(root, size=128, n_train=10, n_test_good=3, n_test_defect=6, seed=1)


def shared_data(*parts: str) -> Path:
    """A folder of ../shared/data, or skip the test cleanly when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available at {path}")
    return path

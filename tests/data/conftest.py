"""Fixtures for the data tests: tiny image trees."""

import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aoikit.data.synthetic import make_synthetic_dataset

WriteImage = Callable[..., Path]


def write_image(path: Path, pixels: np.ndarray | None = None, size: tuple[int, int] = (16, 20)) -> Path:
    """Write ``pixels`` (or a random 8-bit image of ``size`` H×W) to ``path``, creating folders."""
    if pixels is None:
        pixels = np.random.default_rng(zlib.crc32(str(path).encode())).integers(0, 256, size, dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


@pytest.fixture
def image_file() -> WriteImage:
    """The ``write_image`` function, for tests that build their own trees."""
    return write_image


@pytest.fixture(scope="session")
def small_synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic MVTec category: 10 train, 4 test good, 6 test defects (2 per kind), 64 px."""
    root = tmp_path_factory.mktemp("synthetic")
    return make_synthetic_dataset(root, texture="gravel", size=64, n_train=10, n_test_good=4, n_test_defect=6)

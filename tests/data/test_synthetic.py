"""The synthetic texture dataset and its painted defects."""

import time
from pathlib import Path

import numpy as np
import pytest
from skimage import data

from aoikit.data import load_mvtec, make_synthetic_dataset, read_gray, read_mask
from aoikit.data.synthetic import DEFECT_KINDS, add_defect


def test_default_dataset(tmp_path: Path) -> None:
    start = time.perf_counter()
    folder = make_synthetic_dataset(tmp_path)
    elapsed = time.perf_counter() - start
    assert folder == tmp_path / "brick" and elapsed < 10  # about 0.5 s on a quiet machine
    ds = load_mvtec(folder)
    assert (len(ds.train), len(ds.test)) == (40, 32)
    assert {t: sum(s.defect_type == t for s in ds.test) for t in ["good", *DEFECT_KINDS]} == {
        "good": 8,
        "scratch": 8,
        "blob": 8,
        "smooth": 8,
    }
    first = read_gray(ds.train[0].path)
    assert first.shape == (256, 256)
    assert not any(np.array_equal(first, read_gray(s.path)) for s in ds.train[1:])
    for s in ds.test:
        if s.mask_path is not None:
            mask = read_mask(s.mask_path, (256, 256))
            assert 0.004 < mask.mean() < 0.045, s.mask_path
            assert set(np.unique(read_gray(s.mask_path))) == {0.0, 1.0}


def test_same_seed_same_files(tmp_path: Path) -> None:
    def make(name: str, seed: int) -> Path:
        return make_synthetic_dataset(
            tmp_path / name, texture="grass", size=48, n_train=3, n_test_good=1, n_test_defect=3, seed=seed
        )

    a, b, c = make("a", 5), make("b", 5), make("c", 6)
    files = sorted(p.relative_to(a) for p in a.rglob("*.png"))
    assert len(files) == 3 + 1 + 3 * 2
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    assert any((a / f).read_bytes() != (c / f).read_bytes() for f in files)


@pytest.mark.parametrize("kind", DEFECT_KINDS)
def test_add_defect_changes_only_the_masked_pixels(kind: str) -> None:
    image = data.gravel()[:128, :160] / np.float32(255)
    before = image.copy()
    painted, mask = add_defect(image, np.random.default_rng(3), kind)
    assert painted.dtype == np.float32 and mask.dtype == bool and mask.shape == image.shape
    assert 0.005 <= mask.mean() <= 0.04
    np.testing.assert_array_equal(painted[~mask], image[~mask])
    assert np.abs(painted - image)[mask].mean() > 0.03  # clearly visible
    assert painted.min() >= 0.0 and painted.max() <= 1.0
    np.testing.assert_array_equal(image, before)


def test_unknown_names() -> None:
    with pytest.raises(ValueError, match="scratch, blob, smooth"):
        add_defect(np.zeros((32, 32), np.float32), np.random.default_rng(0), "dent")
    with pytest.raises(ValueError, match="brick, grass, gravel"):
        make_synthetic_dataset(Path("unused"), texture="marble")

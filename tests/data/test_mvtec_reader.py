"""MVTec AD layout: synthetic and hand-written trees, bad trees, and the real data when present."""

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from aoikit.data import load_mvtec, open_dataset, read_gray, read_mask
from aoikit.errors import DataError

WriteImage = Callable[..., Path]


def _tree(root: Path, image_file: WriteImage) -> Path:
    """A tiny category: 3 train images, 1 good and 2 scratch test images with masks, mixed formats."""
    cat = root / "widget"
    for name in ["000.png", "001.JPG", "002.bmp"]:
        image_file(cat / "train" / "good" / name)
    image_file(cat / "test" / "good" / "000.tif")
    for i in range(2):
        image_file(cat / "test" / "scratch" / f"00{i}.png")
        image_file(cat / "ground_truth" / "scratch" / f"00{i}_mask.png", np.zeros((16, 20), np.uint8))
    (cat / "train" / "good" / ".DS_Store").write_bytes(b"\0")
    (cat / "train" / "good" / "notes.txt").write_text("not an image")
    return cat


def test_synthetic_category(small_synthetic: Path) -> None:
    ds = load_mvtec(small_synthetic)
    assert ds.name == "gravel"
    assert len(ds.train) == 10 and len(ds.test) == 10
    assert ds.defect_types == ["blob", "scratch", "smooth"]
    assert all(s.label == 0 and s.mask_path is None for s in ds.train)
    good = [s for s in ds.test if s.label == 0]
    assert len(good) == 4 and all(s.defect_type == "good" and s.mask_path is None for s in good)
    for s in ds.test:
        if s.label == 1:
            assert s.mask_path == small_synthetic / "ground_truth" / s.defect_type / f"{s.path.stem}_mask.png"
            assert read_mask(s.mask_path, read_gray(s.path).shape).any()
    assert [s.path for s in ds.train] == sorted(s.path for s in ds.train)
    assert load_mvtec(small_synthetic) == ds


def test_category_argument_and_open_dataset(small_synthetic: Path) -> None:
    by_name = load_mvtec(small_synthetic.parent, category="gravel")
    assert by_name == load_mvtec(small_synthetic) == open_dataset(small_synthetic)
    assert open_dataset(small_synthetic.parent, category="gravel") == by_name


def test_hand_written_tree_accepts_image_extensions(tmp_path: Path, image_file: WriteImage) -> None:
    ds = load_mvtec(_tree(tmp_path, image_file))
    assert [s.path.name for s in ds.train] == ["000.png", "001.JPG", "002.bmp"]
    assert [(s.path.name, s.defect_type, s.label) for s in ds.test] == [
        ("000.tif", "good", 0),
        ("000.png", "scratch", 1),
        ("001.png", "scratch", 1),
    ]


@pytest.mark.parametrize("missing", ["train/good", "test"])
def test_missing_folders(tmp_path: Path, image_file: WriteImage, missing: str) -> None:
    cat = _tree(tmp_path, image_file)
    for path in sorted((cat / missing).rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    (cat / missing).rmdir()
    with pytest.raises(DataError, match=re.escape(f"{cat / missing}: missing folder")):
        load_mvtec(cat)


def test_missing_category(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nothing_here: missing folder"):
        load_mvtec(tmp_path, category="nothing_here")


def test_empty_training_set(tmp_path: Path, image_file: WriteImage) -> None:
    cat = _tree(tmp_path, image_file)
    for path in (cat / "train" / "good").iterdir():
        path.unlink()
    with pytest.raises(DataError, match="good: no training images"):
        load_mvtec(cat)


def test_defect_image_without_mask(tmp_path: Path, image_file: WriteImage) -> None:
    cat = _tree(tmp_path, image_file)
    image_file(cat / "test" / "scratch" / "007.png")
    with pytest.raises(DataError, match=re.escape("007.png: defect image has no mask")) as err:
        load_mvtec(cat)
    assert "007_mask.png" in str(err.value)


def test_open_dataset_explains_what_it_expected(tmp_path: Path, image_file: WriteImage) -> None:
    _tree(tmp_path / "mvtec", image_file)
    with pytest.raises(DataError, match="choose one of: widget"):
        open_dataset(tmp_path / "mvtec")
    (tmp_path / "random").mkdir()
    with pytest.raises(DataError, match="random: not an MVTec AD category folder"):
        open_dataset(tmp_path / "random")


@pytest.mark.data
@pytest.mark.parametrize(("category", "n_train", "n_test", "n_masks"), [("screw", 320, 160, 119), ("grid", 25, 14, 11)])
def test_real_mvtec(shared_data: Path, category: str, n_train: int, n_test: int, n_masks: int) -> None:
    ds = open_dataset(shared_data / "mvtec_ad", category=category)
    assert (len(ds.train), len(ds.test)) == (n_train, n_test)
    masks = [s.mask_path for s in ds.test if s.mask_path is not None]
    assert len(masks) == n_masks == sum(s.label for s in ds.test)
    assert all(s.mask_path is None for s in ds.test if s.defect_type == "good")
    first = next(s for s in ds.test if s.label == 1)
    assert first.mask_path is not None
    assert read_mask(first.mask_path, read_gray(first.path).shape).any()


@pytest.mark.data
def test_real_screw_defect_types(shared_data: Path) -> None:
    ds = load_mvtec(shared_data / "mvtec_ad" / "screw")
    counts = {t: sum(s.defect_type == t for s in ds.test) for t in ["good", *ds.defect_types]}
    assert counts == {
        "good": 41,
        "manipulated_front": 24,
        "scratch_head": 24,
        "scratch_neck": 25,
        "thread_side": 23,
        "thread_top": 23,
    }

"""Plain good/defect/masks layout: hand-written trees, bad trees, and KolektorSDD when present."""

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from aoikit.data import load_folder, open_dataset, read_gray, read_mask
from aoikit.errors import DataError

WriteImage = Callable[..., Path]


def _tree(root: Path, image_file: WriteImage, n_good: int = 10) -> Path:
    """good/ with ``n_good`` images, two flat defects (jpg images, png masks) and masks/."""
    for i in range(n_good):
        image_file(root / "good" / f"g{i:02d}.png")
    for name in ["d1", "d2"]:
        image_file(root / "defect" / f"{name}.jpg")
        image_file(root / "masks" / f"{name}.png", np.zeros((16, 20), np.uint8))
    return root


def test_flat_layout(tmp_path: Path, image_file: WriteImage) -> None:
    ds = load_folder(_tree(tmp_path / "parts", image_file))
    assert ds.name == "parts" and len(ds.train) == 8
    good = [s for s in ds.test if s.label == 0]
    defects = [s for s in ds.test if s.label == 1]
    assert len(good) == 2 and {s.path for s in good}.isdisjoint(s.path for s in ds.train)
    assert [(s.path.name, s.defect_type, s.mask_path and s.mask_path.name) for s in defects] == [
        ("d1.jpg", "defect", "d1.png"),
        ("d2.jpg", "defect", "d2.png"),
    ]
    assert open_dataset(tmp_path / "parts") == ds


def test_split_of_good_images_is_seeded(tmp_path: Path, image_file: WriteImage) -> None:
    root = _tree(tmp_path, image_file, n_good=20)
    assert load_folder(root, seed=3) == load_folder(root, seed=3)
    assert load_folder(root, seed=3).train != load_folder(root, seed=4).train
    assert len(load_folder(root, test_good_fraction=0.5).train) == 10


def test_typed_subfolders_with_mask_fallback(tmp_path: Path, image_file: WriteImage) -> None:
    root = _tree(tmp_path, image_file)
    image_file(root / "defect" / "crack" / "c1.png")
    image_file(root / "masks" / "crack" / "c1.bmp")
    image_file(root / "defect" / "crack" / "d1.png")  # same stem as a flat defect: masks/crack/ has none
    image_file(root / "defect" / "stain" / "s1.tif")
    image_file(root / "masks" / "s1.png")
    ds = load_folder(root)
    assert ds.defect_types == ["crack", "defect", "stain"]
    masks = {(s.defect_type, s.path.name): s.mask_path for s in ds.test if s.label == 1}
    assert masks[("crack", "c1.png")] == root / "masks" / "crack" / "c1.bmp"
    assert masks[("crack", "d1.png")] == root / "masks" / "d1.png"
    assert masks[("stain", "s1.tif")] == root / "masks" / "s1.png"


@pytest.mark.parametrize("missing", ["good", "defect"])
def test_missing_folders(tmp_path: Path, image_file: WriteImage, missing: str) -> None:
    root = _tree(tmp_path, image_file)
    for path in (root / missing).iterdir():
        path.unlink()
    (root / missing).rmdir()
    with pytest.raises(DataError, match=re.escape(f"{root / missing}: missing folder")):
        load_folder(root)


def test_missing_root(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="absent: missing folder"):
        load_folder(tmp_path / "absent")


def test_no_good_images(tmp_path: Path, image_file: WriteImage) -> None:
    root = _tree(tmp_path, image_file, n_good=0)
    (root / "good").mkdir()
    with pytest.raises(DataError, match="good: no images of good parts"):
        load_folder(root)


def test_defect_image_without_mask(tmp_path: Path, image_file: WriteImage) -> None:
    root = _tree(tmp_path, image_file)
    image_file(root / "defect" / "crack" / "lonely.png")
    with pytest.raises(DataError, match=re.escape("lonely.png: defect image has no mask")):
        load_folder(root)


def test_mask_size_differs_from_image(tmp_path: Path, image_file: WriteImage) -> None:
    root = _tree(tmp_path, image_file)
    image_file(root / "masks" / "d1.png", np.zeros((5, 5), np.uint8))
    sample = next(s for s in load_folder(root).test if s.path.name == "d1.jpg")
    assert sample.mask_path is not None
    with pytest.raises(DataError, match=re.escape("d1.png: mask size 5×5 (H×W) differs from its image size 16×20")):
        read_mask(sample.mask_path, read_gray(sample.path).shape)


@pytest.mark.data
def test_real_kolektorsdd(shared_data: Path) -> None:
    ds = open_dataset(shared_data / "kolektorsdd")
    defects = [s for s in ds.test if s.label == 1]
    good_test = [s for s in ds.test if s.label == 0]
    assert len(defects) == 52 and ds.defect_types == ["defect"]
    assert len(ds.train) + len(good_test) == 348 and len(good_test) == 70
    for s in defects:
        assert s.mask_path is not None and s.mask_path.stem == s.path.stem
        assert read_mask(s.mask_path, read_gray(s.path).shape).any()

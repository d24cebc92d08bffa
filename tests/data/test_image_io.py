"""Reading images and masks, and every way a file can be bad."""

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from aoikit.data.image_io import read_gray, read_mask, resize_gray, resize_mask
from aoikit.errors import DataError

RNG = np.random.default_rng(0)
PIXELS = RNG.integers(0, 256, (24, 32), dtype=np.uint8)


def _encoded(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(PIXELS).save(buffer, format=fmt)
    return buffer.getvalue()


def _corrupted_png() -> bytes:
    data = bytearray(_encoded("PNG"))
    data[200] ^= 0xFF  # inside the compressed pixel data
    return bytes(data)


def test_reads_8bit_png_exactly(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(_encoded("PNG"))
    image = read_gray(path)
    assert image.dtype == np.float32 and image.shape == (24, 32)
    np.testing.assert_array_equal(image, PIXELS.astype(np.float32) / 255)


def test_reads_16bit_png_at_full_depth(tmp_path: Path) -> None:
    pixels = RNG.integers(0, 65536, (10, 12), dtype=np.uint16)
    Image.fromarray(pixels).save(tmp_path / "deep.png")
    image = read_gray(tmp_path / "deep.png")
    assert image.dtype == np.float32
    np.testing.assert_allclose(image, pixels / 65535, atol=1e-6)


def test_reads_jpeg_and_converts_colour_to_gray(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(_encoded("JPEG"))
    assert np.abs(read_gray(tmp_path / "a.jpg") - PIXELS / 255).mean() < 0.05
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[..., 1] = 255  # pure green has luma 0.587
    Image.fromarray(rgb).save(tmp_path / "green.png")
    np.testing.assert_allclose(read_gray(tmp_path / "green.png"), 150 / 255)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.png", b"", "empty file"),
        ("notes.png", b"this is not an image", "not an image"),
        ("cut.png", _encoded("PNG")[:300], "truncated"),
        ("cut.jpg", _encoded("JPEG")[:-200], "truncated"),
        ("header_only.jpg", _encoded("JPEG")[:40], "truncated"),
        ("flipped.png", _corrupted_png(), "unreadable image"),
    ],
    ids=["zero-byte", "text", "truncated-png", "truncated-jpeg", "jpeg-header-only", "corrupted-png"],
)
def test_bad_files_raise_data_error_naming_the_file(tmp_path: Path, name: str, content: bytes, problem: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(DataError, match=problem) as err:
        read_gray(tmp_path / name)
    assert name in str(err.value) and err.value.path == tmp_path / name


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=re.escape("missing.png: file not found")):
        read_gray(tmp_path / "missing.png")
    with pytest.raises(DataError, match="not an image file"):
        read_gray(tmp_path)


def test_truncated_images_are_not_silently_accepted() -> None:
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_read_mask_binarises_any_nonzero(tmp_path: Path) -> None:
    Image.fromarray(np.array([[0, 1], [128, 255]], np.uint8)).save(tmp_path / "m.png")
    np.testing.assert_array_equal(read_mask(tmp_path / "m.png", (2, 2)), [[False, True], [True, True]])
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[0, 0] = (255, 0, 0)
    Image.fromarray(rgb).save(tmp_path / "red.png")
    assert read_mask(tmp_path / "red.png", (2, 2)).sum() == 1


def test_read_mask_size_mismatch_names_both_sizes(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((20, 30), np.uint8)).save(tmp_path / "003_mask.png")
    with pytest.raises(DataError, match=re.escape("003_mask.png")) as err:
        read_mask(tmp_path / "003_mask.png", (24, 32))
    assert "20×30" in str(err.value) and "24×32" in str(err.value)


def test_read_mask_unreadable(tmp_path: Path) -> None:
    (tmp_path / "bad_mask.png").write_bytes(_encoded("PNG")[:100])
    with pytest.raises(DataError, match=re.escape("bad_mask.png")):
        read_mask(tmp_path / "bad_mask.png", (24, 32))


def test_resize_gray_shrinks_by_area_and_grows_bilinear() -> None:
    checker = np.indices((8, 8)).sum(axis=0) % 2
    small = resize_gray(checker.astype(np.float32), 4)
    assert small.dtype == np.float32 and small.shape == (4, 4)
    np.testing.assert_allclose(small, 0.5)  # area averaging, no aliasing
    large = resize_gray(np.array([[0.0, 1.0]], np.float32), (3, 8))
    assert large.shape == (3, 8) and large.min() == 0.0 and large.max() == 1.0
    assert np.all(np.diff(large[0]) >= 0)


def test_resize_mask_stays_boolean() -> None:
    mask = np.zeros((8, 8), bool)
    mask[2:6, 2:6] = True
    small = resize_mask(mask, (4, 4))
    assert small.dtype == bool
    np.testing.assert_array_equal(small, mask[::2, ::2] | mask[1::2, 1::2])
    np.testing.assert_array_equal(resize_mask(small, 8), mask)

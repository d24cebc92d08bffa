"""Tiling, stitching and random training crops."""

import pytest
import torch

from aoikit.data import random_crops, stitch, tile
from aoikit.data.patches import grid_positions


def test_grid_positions_cover_the_image_and_align_to_the_border() -> None:
    assert grid_positions(8, 8, 4, 4) == [(0, 0), (0, 4), (4, 0), (4, 4)]
    assert grid_positions(10, 7, 4, 3) == [(y, x) for y in (0, 3, 6) for x in (0, 3)]
    assert grid_positions(11, 4, 4, 4) == [(0, 0), (4, 0), (7, 0)]


@pytest.mark.parametrize(("h", "w", "patch", "stride"), [(3, 8, 4, 4), (8, 8, 4, 0)])
def test_grid_positions_reject_bad_sizes(h: int, w: int, patch: int, stride: int) -> None:
    with pytest.raises(ValueError):
        grid_positions(h, w, patch, stride)


def test_tile_follows_grid_positions() -> None:
    image = torch.rand(2, 13, 10)
    patches = tile(image, 4, 3)
    positions = grid_positions(13, 10, 4, 3)
    assert patches.shape == (len(positions), 2, 4, 4)
    for patch, (y, x) in zip(patches, positions, strict=True):
        assert torch.equal(patch, image[:, y : y + 4, x : x + 4])


@pytest.mark.parametrize(("h", "w"), [(64, 48), (70, 53)])
def test_stitch_of_tile_is_exact_without_overlap(h: int, w: int) -> None:
    image = torch.rand(3, h, w)
    assert torch.equal(stitch(tile(image, 16), (h, w), 16), image)


@pytest.mark.parametrize("stride", [8, 5, 3])
def test_stitch_of_tile_with_overlap(stride: int) -> None:
    image = torch.rand(1, 70, 53)
    restored = stitch(tile(image, 16, stride), (70, 53), 16, stride)
    assert torch.equal(restored, image)  # float64 sums make the average of equal float32 values exact


def test_stitch_averages_overlaps() -> None:
    patches = torch.stack([torch.zeros(1, 4, 4), torch.ones(1, 4, 4)])  # two patches overlapping on 2 columns
    row = stitch(patches, (4, 6), 4, 2)[0, 0]
    assert row.tolist() == [0.0, 0.0, 0.5, 0.5, 1.0, 1.0]


def test_stitch_rejects_wrong_patch_count() -> None:
    with pytest.raises(ValueError, match="patches"):
        stitch(torch.zeros(3, 1, 4, 4), (8, 8), 4)


def _orientation(crop: torch.Tensor, images: torch.Tensor) -> int:
    """Index k of the transform (rot90 k//2 times, then flip if k odd) that maps a window of ``images`` to ``crop``.

    ``images`` hold unique values, so a crop's corner value locates the window.
    """
    _, c, h, w = images.shape
    p = crop.shape[-1]
    for k in range(8):
        window = torch.rot90(crop.flip(-1) if k % 2 else crop, -(k // 2), (-2, -1))
        n, rest = divmod(int(window[0, 0, 0]), c * h * w)
        y, x = divmod(rest, w)
        if y + p <= h and x + p <= w and torch.equal(images[n, :, y : y + p, x : x + p], window):
            return k
    raise AssertionError("crop is no flip or rotation of a window")


@pytest.mark.parametrize(
    ("flips", "rotations", "expected"),
    [(False, False, {0}), (True, False, {0, 1, 4, 5}), (False, True, {0, 2, 4, 6}), (True, True, set(range(8)))],
)
def test_random_crops_flip_and_rotate(flips: bool, rotations: bool, expected: set[int]) -> None:
    images = torch.arange(3 * 2 * 20 * 24, dtype=torch.float32).view(3, 2, 20, 24)
    crops = random_crops(images, 200, 5, torch.Generator().manual_seed(0), flips=flips, rotations=rotations)
    assert crops.shape == (200, 2, 5, 5)
    assert {_orientation(crop, images) for crop in crops} == expected


def test_random_crops_are_seeded_and_sample_every_image() -> None:
    images = torch.rand(4, 1, 32, 40)
    first = random_crops(images, 64, 8, torch.Generator().manual_seed(1))
    assert torch.equal(first, random_crops(images, 64, 8, torch.Generator().manual_seed(1)))
    assert not torch.equal(first, random_crops(images, 64, 8, torch.Generator().manual_seed(2)))
    labelled = torch.arange(4.0).view(4, 1, 1, 1).expand(4, 1, 32, 40)
    assert set(random_crops(labelled, 64, 8, torch.Generator().manual_seed(1)).flatten().tolist()) == {0, 1, 2, 3}


def test_random_crops_reject_small_images() -> None:
    with pytest.raises(ValueError, match="smaller than the patch"):
        random_crops(torch.rand(2, 1, 8, 16), 4, 10, torch.Generator())

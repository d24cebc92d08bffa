"""Pose normalisation: an elongated part ends up horizontal, centred, wide end left."""

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from aoikit.data import read_gray
from aoikit.preprocess import align_part, part_pose, unalign


@pytest.mark.parametrize("angle", [0.0, 35.0, 90.0, 150.0, 200.0, 300.0])
def test_part_ends_up_horizontal_centred_with_its_head_left(screw: Callable[..., np.ndarray], angle: float) -> None:
    aligned, _ = align_part(screw(angle, shift=(9, -7)))
    part, upright = aligned < 0.68, align_part(screw(0.0))[0] < 0.68
    assert (part & upright).sum() / (part | upright).sum() > 0.85
    columns = np.nonzero(part.any(axis=0))[0]
    assert abs((columns.min() + columns.max()) / 2 - 80) <= 2
    head, tip = part[:, columns.min() : columns.min() + 10].sum(), part[:, columns.max() - 9 :].sum()
    assert head > 2 * tip


def test_round_part_is_only_centred() -> None:
    image = np.full((100, 100), 0.8, np.float32)
    cv2.circle(image, (40, 60), 15, 0.2, -1)
    matrix = part_pose(image)
    np.testing.assert_allclose(matrix[:, :2], np.eye(2), atol=1e-9)
    np.testing.assert_allclose(matrix[:, 2], (10, -10), atol=0.5)


def test_unalign_puts_a_mark_back_where_the_image_had_it(screw: Callable[..., np.ndarray]) -> None:
    image = screw(35.0)
    _, matrix = align_part(image)
    point = np.array([60.0, 100.0])
    aligned_point = matrix[:, :2] @ point + matrix[:, 2]
    mark = np.zeros_like(image)
    cv2.circle(mark, tuple(round(float(v)) for v in aligned_point), 3, 1.0, -1)
    back = unalign(mark, matrix, fill=0.0)
    ys, xs = np.nonzero(back > 0.5)
    np.testing.assert_allclose((xs.mean(), ys.mean()), point, atol=1.0)


@pytest.mark.data
def test_real_screws_align_the_same_whichever_way_they_lie(shared_data: Path) -> None:
    paths = sorted((shared_data / "mvtec_ad" / "screw" / "test" / "good").glob("*.png"))[:8]
    for path in paths:
        image = read_gray(path)
        aligned = align_part(image)[0]
        for turns in (1, 2):
            turned = align_part(np.ascontiguousarray(np.rot90(image, turns)))[0]
            assert np.corrcoef(aligned.ravel(), turned.ravel())[0, 1] > 0.9, (path.name, turns)

"""Part crops: a rotated rectangle comes out upright, cut to the part with its margin, and maps back."""

import cv2
import numpy as np
import pytest

from aoikit.preprocess import crop_part, foreground_mask, largest_contour, unalign, upright_rectangle

SIDES = (30, 90)  # across, along
CENTRE = (95.0, 110.0)


def _bar(angle: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A bright 30×90 bar turned by ``angle`` on a dark plate, with noise, and its part mask by Otsu."""
    corners = cv2.boxPoints((CENTRE, SIDES, angle)).round().astype(np.int32)
    image = np.full((200, 220), 0.2, np.float32)
    cv2.fillPoly(image, [corners], 0.75)
    image += np.random.default_rng(seed).normal(0, 0.02, image.shape).astype(np.float32)
    return image, foreground_mask(image, blur_sigma=1.0, dilate=0)


def test_largest_contour_is_the_biggest_region_and_none_for_an_empty_mask() -> None:
    mask = np.zeros((60, 60), bool)
    mask[5:15, 5:15] = True
    mask[30:55, 20:50] = True
    contour = largest_contour(mask)
    assert contour is not None
    x, y, w, h = cv2.boundingRect(contour)
    assert (x, y, w, h) == (20, 30, 30, 25)
    assert largest_contour(np.zeros((8, 8), bool)) is None


@pytest.mark.parametrize("angle", [0.0, 20.0, 65.0, 90.0, 135.0, -30.0])
def test_rectangle_is_measured_in_pixels_and_turned_by_at_most_90_degrees(angle: float) -> None:
    _, mask = _bar(angle)
    contour = largest_contour(mask)
    assert contour is not None
    rectangle = upright_rectangle(contour)
    assert rectangle.width == pytest.approx(SIDES[0], abs=3) and rectangle.height == pytest.approx(SIDES[1], abs=3)
    np.testing.assert_allclose(rectangle.centre, CENTRE, atol=1.0)
    assert -90.0 <= rectangle.angle < 90.0


@pytest.mark.parametrize("angle", [0.0, 20.0, 65.0, 90.0, 135.0, -30.0])
def test_rotated_bar_comes_out_upright_and_cropped_with_its_margin(angle: float) -> None:
    image, mask = _bar(angle)
    cropped, crop = crop_part(image, mask, margin=0.1)
    assert cropped.shape == (crop.height, crop.width)
    assert crop.height == pytest.approx(1.2 * SIDES[1], abs=3) and crop.width == pytest.approx(1.2 * SIDES[0], abs=3)
    part = cropped > 0.5
    assert part[12:-12, 6:-6].mean() > 0.97  # the bar fills the crop, upright, up to its margin
    assert not part[:, :2].any() and not part[:, -2:].any() and not part[:5].any() and not part[-5:].any()
    assert part.mean() == pytest.approx(1 / 1.2**2, abs=0.06)


def test_a_mark_in_the_crop_goes_back_where_the_image_had_it() -> None:
    image, mask = _bar(35.0)
    cropped, crop = crop_part(image, mask, margin=0.1)
    point = np.array([100.0, 120.0])  # on the bar
    x, y = crop.matrix[:, :2] @ point + crop.matrix[:, 2]
    mark = np.zeros_like(cropped)
    cv2.circle(mark, (round(float(x)), round(float(y))), 3, 1.0, -1)
    back = unalign(mark, crop.matrix, fill=0.0, shape=image.shape)
    assert back.shape == image.shape
    ys, xs = np.nonzero(back > 0.5)
    np.testing.assert_allclose((xs.mean(), ys.mean()), point, atol=1.0)
    outside = unalign(np.ones_like(cropped), crop.matrix, fill=0.0, shape=image.shape)
    assert outside[:20, :20].max() == 0.0 and outside[100, 95] == 1.0


def test_an_empty_mask_keeps_the_whole_image() -> None:
    image = np.random.default_rng(1).uniform(0, 1, (40, 50)).astype(np.float32)
    cropped, crop = crop_part(image, np.zeros(image.shape, bool), margin=0.0)
    np.testing.assert_allclose(crop.matrix, [[1, 0, 0], [0, 1, 0]], atol=1e-9)
    np.testing.assert_allclose(cropped, image, atol=1e-6)

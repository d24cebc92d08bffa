"""Anomaly map → regions: boxes, outlines, holes, specks and scores."""

import numpy as np
import pytest

from aoikit.labels import Region, RegionConfig, clean_mask, extract_regions, map_to_mask
from aoikit.labels.geometry import rasterize, trace_outlines

RAW = RegionConfig(threshold=0.5, open_radius=0, close_radius=0, min_area=16)


def blob_map() -> np.ndarray:
    """A 64×80 map: a ramped rectangle, a bright square ring, low noise elsewhere."""
    amap = np.random.default_rng(0).uniform(0.0, 0.3, (64, 80))
    amap[5:15, 10:30] = np.linspace(0.6, 0.9, 20)[None, :]
    amap[30:56, 40:66] = 0.95
    amap[38:48, 48:58] = 0.1  # a 10×10 hole in the ring
    return amap


def test_blobs_found_with_exact_boxes_and_scores() -> None:
    amap = blob_map()
    ring, rect = extract_regions(amap, RAW, class_name="dent")
    assert (ring.box, rect.box) == ((40, 30, 66, 56), (10, 5, 30, 15))
    assert ring.class_name == rect.class_name == "dent"
    assert rect.score_max == pytest.approx(0.9)
    assert rect.score_mean == pytest.approx(0.75)
    assert rect.area == 200
    assert rect.polygon == [(10, 5), (10, 15), (30, 15), (30, 5)]


def test_hole_is_kept_through_cleaning() -> None:
    ring = extract_regions(blob_map(), RegionConfig(threshold=0.5))[0]
    assert len(ring.holes) == 1
    assert not ring.paste(64, 80)[43, 53]
    assert ring.score_max == pytest.approx(0.95)


def test_min_area_removes_specks() -> None:
    amap = np.zeros((40, 40))
    amap[2:5, 2:5] = 1.0  # 9 px
    amap[20:25, 20:25] = 1.0  # 25 px
    assert [r.box for r in extract_regions(amap, RAW)] == [(20, 20, 25, 25)]
    assert extract_regions(amap, RegionConfig(threshold=0.5, min_area=100)) == []


def test_opening_removes_a_thin_line_and_closing_fills_a_pinhole() -> None:
    mask = np.zeros((30, 30), dtype=bool)
    mask[5:20, 5:20] = True
    mask[12, 12] = False
    mask[25, 2:28] = True
    cleaned = clean_mask(mask, open_radius=1, close_radius=2, min_area=0)
    assert cleaned[12, 12] and not cleaned[25].any()


def test_map_to_mask_is_strictly_above() -> None:
    assert map_to_mask(np.array([[0.4, 0.5, 0.6]]), 0.5).tolist() == [[False, False, True]]


def test_outline_fills_back_to_the_same_pixels() -> None:
    rng = np.random.default_rng(1)
    for _ in range(50):
        mask = rng.random((18, 22)) < rng.uniform(0.2, 0.8)
        back = np.zeros_like(mask)
        for outer, holes in trace_outlines(mask):
            back |= rasterize(outer, holes, 18, 22)
        assert np.array_equal(back, mask)


def test_region_from_mask_keeps_the_largest_outline() -> None:
    mask = np.zeros((20, 20), dtype=bool)
    mask[1:3, 1:3] = True
    mask[8:18, 5:15] = True
    region = Region.from_mask(mask, "anomaly")
    assert region.box == (1, 1, 15, 18)
    assert region.polygon == [(5, 8), (5, 18), (15, 18), (15, 8)]
    assert np.array_equal(region.paste(20, 20), mask)

"""Region-level matching of pre-labels against ground-truth masks, on hand-made cases."""

import math

import numpy as np

from aoikit.labels import Region, region_match, summarize

SHAPE = (40, 60)


def blob(y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    mask = np.zeros(SHAPE, dtype=bool)
    mask[y0:y1, x0:x1] = True
    return mask


def regions(*masks: np.ndarray) -> list[Region]:
    return [Region.from_mask(m, "anomaly") for m in masks]


def test_perfect_prelabels_need_no_edits() -> None:
    gt = blob(2, 10, 2, 10) | blob(20, 30, 30, 50)
    result = region_match(regions(blob(2, 10, 2, 10), blob(20, 30, 30, 50)), gt)
    assert (result["found"], result["recall"], result["precision"], result["edits"]) == (2, 1.0, 1.0, 0)
    assert result["edits_from_scratch"] == 2


def test_missed_and_false_regions_cost_an_add_and_a_delete() -> None:
    gt = blob(2, 10, 2, 10) | blob(20, 30, 30, 50)
    result = region_match(regions(blob(3, 10, 2, 10), blob(30, 38, 2, 8)), gt)
    assert (result["found"], result["missed"], result["false"], result["box_moves"]) == (1, 1, 1, 0)
    assert (result["recall"], result["precision"], result["edits"]) == (0.5, 0.5, 2)


def test_small_overlap_is_found_but_needs_a_box_move() -> None:
    gt = blob(10, 14, 0, 60)  # a long scratch
    result = region_match(regions(blob(10, 14, 0, 10)), gt)  # pixel IoU 1/6 ≥ 0.1, box IoU < 0.5
    assert (result["found"], result["box_moves"], result["edits"]) == (1, 1, 1)


def test_box_iou_alone_can_match() -> None:
    gt = np.eye(30, 30, dtype=bool)  # a thin diagonal crack
    gt = np.pad(gt, ((0, 10), (0, 30)))
    result = region_match(regions(np.pad(np.ones((30, 30), bool), ((0, 10), (0, 30)))), gt)  # pixel IoU 1/30
    assert (result["found"], result["box_moves"], result["edits"]) == (1, 0, 0)


def test_a_split_defect_costs_a_delete_and_a_box_move() -> None:
    gt = blob(5, 15, 5, 45)
    result = region_match(regions(blob(5, 15, 5, 24), blob(5, 15, 26, 45)), gt)  # each half: box IoU 19/40
    assert (result["found"], result["false"], result["box_moves"], result["edits"]) == (1, 1, 1, 2)


def test_summary_counts_false_regions_on_good_images() -> None:
    defect = region_match(regions(blob(2, 10, 2, 10)), blob(2, 10, 2, 10))
    good_clean = region_match([], np.zeros(SHAPE, dtype=bool))
    good_noisy = region_match(regions(blob(30, 35, 30, 35), blob(2, 6, 50, 55)), np.zeros(SHAPE, dtype=bool))
    assert math.isnan(good_clean["recall"]) and math.isnan(good_clean["precision"])
    total = summarize([defect, good_clean, good_noisy])
    assert (total["gt"], total["found"], total["false"], total["good_images"]) == (1, 1, 2, 2)
    assert total["false_per_good_image"] == 1.0
    assert total["precision"] == 1 / 3
    assert total["edits"] == 2


def test_the_simulated_review_keeps_deletes_and_draws() -> None:
    from aoikit.labels.metrics import simulate_review

    gt = blob(2, 10, 2, 10) | blob(20, 30, 30, 50)
    overlapping, stray = blob(4, 12, 4, 12), blob(30, 38, 2, 8)
    review = simulate_review(regions(overlapping, stray), gt)
    assert (review.kept, review.deleted, review.drawn, review.from_scratch, review.edits) == (1, 1, 1, 2, 2)
    assert np.array_equal(review.mask, overlapping | blob(20, 30, 30, 50))  # kept as drawn by the model
    empty = simulate_review(regions(stray), np.zeros(SHAPE, dtype=np.uint8))
    assert (empty.edits, empty.from_scratch, empty.mask.any()) == (1, 0, False)

"""Region-level scores of pre-labels against ground-truth masks, and the edits a reviewer would make.

Rule: ground-truth regions are the 8-connected parts of the mask. A predicted and a ground-truth
region *may match* when their pixel IoU is ≥ 0.1 or their box IoU is ≥ 0.5. Pairs are then matched
one to one, greedily by pixel IoU (then box IoU), highest first, as COCO evaluation does, since a
reviewer keeps one label per defect. A matched ground-truth region is *found*; an unmatched one is
*missed*; an unmatched prediction is a *false region* (also a second prediction on one defect).

Edits: one *add* per missed region, one *delete* per false region, and one *box move* per match
whose box IoU is < 0.5. Drawing from scratch costs one add per ground-truth region.

:func:`simulate_review` is the reviewer of the supervised routes and the line loop: a pre-label region that
touches the ground truth is kept, any other deleted, and a ground-truth region that no kept region touches is
drawn from the ground truth; the corrected mask is what a model then learns from.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from aoikit.labels.geometry import box_iou
from aoikit.labels.regions import Region

MIN_PIXEL_IOU = 0.1
MIN_BOX_IOU = 0.5


def region_match(pred: list[Region], gt_mask: np.ndarray) -> dict[str, float]:
    """Counts, recall, precision and edits for one image (recall/precision are NaN with nothing to count)."""
    height, width = gt_mask.shape
    n_gt, gt_labels, stats, _ = cv2.connectedComponentsWithStats(gt_mask.astype(np.uint8), connectivity=8)
    n_gt -= 1
    gt_boxes = [(int(x), int(y), int(x + w), int(y + h)) for x, y, w, h in stats[1:, :4]]
    gt_area = stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
    pixel_iou = np.zeros((n_gt, len(pred)))
    box_ious = np.zeros((n_gt, len(pred)))
    for j, region in enumerate(pred):
        inter = np.bincount(gt_labels[region.paste(height, width)], minlength=n_gt + 1)[1:]
        pixel_iou[:, j] = inter / np.maximum(gt_area + region.area - inter, 1)
        box_ious[:, j] = [box_iou(box, region.box) for box in gt_boxes]
    candidates = (pixel_iou >= MIN_PIXEL_IOU) | (box_ious >= MIN_BOX_IOU)
    gt_used, pred_used, moves = np.zeros(n_gt, bool), np.zeros(len(pred), bool), 0
    for flat in np.lexsort((-box_ious.ravel(), -pixel_iou.ravel())):
        i, j = divmod(int(flat), len(pred))
        if candidates[i, j] and not gt_used[i] and not pred_used[j]:
            gt_used[i] = pred_used[j] = True
            moves += int(box_ious[i, j] < MIN_BOX_IOU)
    return _summary(n_gt, len(pred), int(gt_used.sum()), moves, good_images=int(n_gt == 0))


def summarize(matches: Sequence[dict[str, float]]) -> dict[str, float]:
    """Dataset totals of :func:`region_match` results, with false regions per good (defect-free) image."""
    total = {key: sum(m[key] for m in matches) for key in ("gt", "pred", "found", "box_moves", "good_images")}
    good_false = sum(m["false"] for m in matches if m["good_images"])
    summary = _summary(*(int(total[k]) for k in ("gt", "pred", "found", "box_moves", "good_images")))
    summary["false_per_good_image"] = good_false / total["good_images"] if total["good_images"] else float("nan")
    return summary


def _summary(gt: int, pred: int, found: int, moves: int, good_images: int) -> dict[str, float]:
    missed, false = gt - found, pred - found
    return {
        "gt": gt,
        "pred": pred,
        "found": found,
        "missed": missed,
        "false": false,
        "box_moves": moves,
        "good_images": good_images,
        "recall": found / gt if gt else float("nan"),
        "precision": found / pred if pred else float("nan"),
        "edits": missed + false + moves,
        "edits_from_scratch": gt,
    }


@dataclass(frozen=True)
class Review:
    """A simulated review of one image's pre-labels: the corrected mask and the regions kept, deleted and drawn;
    ``from_scratch``: the regions a person would draw without pre-labels (one per ground-truth region)."""

    mask: np.ndarray
    kept: int
    deleted: int
    drawn: int
    from_scratch: int

    @property
    def edits(self) -> int:
        """Deletions and drawings: what the review cost."""
        return self.deleted + self.drawn


def simulate_review(regions: Sequence[Region], truth: np.ndarray) -> Review:
    """Review ``regions`` against the bool ground-truth mask ``truth``: keep those touching it, delete the others,
    draw each ground-truth region (8-connected) that no kept region touches."""
    truth = np.asarray(truth, dtype=bool)
    height, width = truth.shape
    kept = [r for r in regions if (r.paste(height, width) & truth).any()]
    mask = np.zeros_like(truth, dtype=bool)
    for region in kept:
        mask |= region.paste(height, width)
    count, labels = cv2.connectedComponents(truth.astype(np.uint8), connectivity=8)
    drawn = [labels == k for k in range(1, count) if not mask[labels == k].any()]
    for component in drawn:
        mask |= component
    return Review(mask, len(kept), len(regions) - len(kept), len(drawn), count - 1)

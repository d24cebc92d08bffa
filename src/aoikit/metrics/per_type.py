"""Pixel AUROC, AUPRO and image AUROC per defect type, each against all good images."""

from collections.abc import Sequence
from functools import reduce
from operator import add

import numpy as np

from aoikit.metrics._binning import BINS, Maps, as_map_list, iter_pairs, plan_bins
from aoikit.metrics.image import image_auroc, image_scores_from_maps
from aoikit.metrics.pro import BinnedPRO


def per_type_metrics(
    maps: Maps,
    masks: Maps,
    labels: Sequence[int] | np.ndarray,
    defect_types: Sequence[str],
    image_scores: np.ndarray | None = None,
    max_fpr: float = 0.3,
    bins: int = BINS,
) -> dict[str, dict[str, float]]:
    """Metrics for each defect type (its images plus all good images) and "overall" (all images).

    Args:
        maps: anomaly maps, one per image.
        masks: ground-truth masks (all zeros for good images).
        labels: 1 for a defective image, 0 for a good one.
        defect_types: type name per image (ignored for good images).
        image_scores: one score per image; defaults to `image_scores_from_maps(maps)`.
        max_fpr: FPR limit of AUPRO.
        bins: bin budget for pixel AUROC and AUPRO (`plan_bins`), planned once over all maps.

    Returns:
        {type or "overall": {"pixel_auroc", "aupro", "image_auroc", "images"}}.
    """
    map_list, mask_list = as_map_list(maps), as_map_list(masks)
    defective = np.asarray(labels) != 0
    types = np.asarray(defect_types, dtype=str)
    if not len(map_list) == len(mask_list) == defective.size == types.size:
        raise ValueError("maps, masks, labels and defect_types need one entry per image")
    scores = image_scores_from_maps(map_list) if image_scores is None else np.asarray(image_scores, np.float64)
    binning = plan_bins(map_list, mask_list, bins)
    good = BinnedPRO(binning)
    by_type: dict[str, BinnedPRO] = {}
    for (score_map, mask), is_defective, defect_type in zip(
        iter_pairs(map_list, mask_list), defective, types, strict=True
    ):
        if is_defective and defect_type not in by_type:
            by_type[defect_type] = BinnedPRO(binning)
        (by_type[defect_type] if is_defective else good).update(score_map, mask)

    def summary(pixels: BinnedPRO, selected: np.ndarray) -> dict[str, float]:
        return {
            "pixel_auroc": pixels.pixels.auroc(),
            "aupro": pixels.aupro(max_fpr),
            "image_auroc": image_auroc(scores[selected], defective[selected]),
            "images": int(selected.sum()),
        }

    results = {name: summary(good + by_type[name], ~defective | (types == name)) for name in sorted(by_type)}
    results["overall"] = summary(reduce(add, by_type.values(), good), np.ones_like(defective))
    return results

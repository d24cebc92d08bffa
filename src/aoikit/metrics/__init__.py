"""Anomaly-detection metrics in NumPy: pixel ROC/AUROC, AUPRO, image AUROC, thresholds and calibration."""

from aoikit.metrics._binning import ScoreBins, plan_bins
from aoikit.metrics.calibration import MinMaxNormalizer, fit_quantile_threshold
from aoikit.metrics.image import area_scores, image_auroc, image_scores_from_maps
from aoikit.metrics.per_type import per_type_metrics
from aoikit.metrics.position import PositionStats
from aoikit.metrics.pro import BinnedPRO, aupro, aupro_exact, binned_pro, pro_curve
from aoikit.metrics.roc import BinnedROC, binned_roc, pixel_auroc, pixel_roc
from aoikit.metrics.segmentation import segmentation_scores
from aoikit.metrics.threshold import youden_threshold, youden_threshold_from_maps

__all__ = [
    "BinnedPRO",
    "BinnedROC",
    "MinMaxNormalizer",
    "PositionStats",
    "ScoreBins",
    "area_scores",
    "aupro",
    "aupro_exact",
    "binned_pro",
    "binned_roc",
    "fit_quantile_threshold",
    "image_auroc",
    "image_scores_from_maps",
    "per_type_metrics",
    "pixel_auroc",
    "pixel_roc",
    "plan_bins",
    "pro_curve",
    "segmentation_scores",
    "youden_threshold",
    "youden_threshold_from_maps",
]

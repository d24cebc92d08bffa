"""Small composable image preparation steps."""

from aoikit.preprocess.foreground import foreground_mask
from aoikit.preprocess.gamma import correct_gamma, fit_gamma, gamma_reference
from aoikit.preprocess.intensity import intensity_reference, match_intensity
from aoikit.preprocess.pose import align_part, part_pose, unalign
from aoikit.preprocess.roi import Crop, Rectangle, crop_part, crop_transform, largest_contour, upright_rectangle

__all__ = [
    "Crop",
    "Rectangle",
    "align_part",
    "correct_gamma",
    "crop_part",
    "crop_transform",
    "fit_gamma",
    "foreground_mask",
    "gamma_reference",
    "intensity_reference",
    "largest_contour",
    "match_intensity",
    "part_pose",
    "unalign",
    "upright_rectangle",
]

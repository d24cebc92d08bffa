"""Small composable image preparation steps."""

from aoikit.preprocess.foreground import foreground_mask
from aoikit.preprocess.intensity import intensity_reference, match_intensity
from aoikit.preprocess.pose import align_part, part_pose, unalign

__all__ = ["align_part", "foreground_mask", "intensity_reference", "match_intensity", "part_pose", "unalign"]

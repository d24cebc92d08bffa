"""Small composable image preparation steps."""

from aoikit.preprocess.foreground import foreground_mask
from aoikit.preprocess.intensity import intensity_reference, match_intensity

__all__ = ["foreground_mask", "intensity_reference", "match_intensity"]

"""Small composable image preparation steps."""

from aoikit.preprocess.foreground import foreground_mask

__all__ = ["foreground_mask"]

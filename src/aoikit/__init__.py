"""aoikit: automated optical inspection from images of good parts."""

__version__ = "0.1.0"

"""Training losses."""

from aoikit.losses.ssim import SSIMLoss, dssim, ssim, ssim_map

__all__ = ["SSIMLoss", "dssim", "ssim", "ssim_map"]

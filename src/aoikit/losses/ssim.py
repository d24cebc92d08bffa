"""Structural similarity (SSIM) with a Gaussian window, as used by the SSIM autoencoder.

The statistics follow Wang et al. 2004 and ``skimage.metrics.structural_similarity`` with
``gaussian_weights=True, use_sample_covariance=False``: Gaussian-weighted means, population
variances and covariance. Images are reflect-padded by ``window_size // 2`` so the map keeps
the input size. The Gaussian filter is separable and runs as two depthwise 1-D convolutions,
with the five statistics (x, y, x², y², xy) batched along channels into one call each.

All arithmetic is float32 (float64 inputs stay float64): lower-precision inputs are cast up
and autocast is switched off inside, because SSIM subtracts nearly equal numbers (E[x²] − E[x]²)
and loses all precision in float16 or bfloat16.

One float32 image on the CPU under ``torch.inference_mode`` (a served frame) takes another route to the same map:
OpenCV's separable filter in the calling thread, 2-3x faster than waking the torch thread pool for it
(docs/RESULTS.md); the two agree to float32 rounding (1e-4).
"""

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from aoikit.errors import check_window

WINDOW = 11
"""The default SSIM window side, in pixels (odd, ≥ 3): of the maps, the losses and the scores."""


def gaussian_kernel1d(
    window_size: int,
    sigma: float = 1.5,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> Tensor:
    """Normalised 1-D Gaussian with exactly ``window_size`` taps centred on the middle one.

    Raises:
        ValueError: if ``window_size`` is not odd and at least 3, or ``sigma`` is not positive.
    """
    check_window(window_size, "window_size")
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    r = torch.arange(window_size, dtype=torch.float64, device=device) - window_size // 2
    k = torch.exp(-0.5 * (r / sigma) ** 2)
    return (k / k.sum()).to(dtype)


def _compute_dtype(x: Tensor) -> torch.dtype:
    return torch.float64 if x.dtype == torch.float64 else torch.float32


def _check_shapes(x: Tensor, y: Tensor, kernel: Tensor) -> None:
    if x.shape != y.shape or x.dim() != 4:
        raise ValueError(f"expected two (N, C, H, W) tensors of the same shape, got {tuple(x.shape)}, {tuple(y.shape)}")
    if min(x.shape[-2:]) <= kernel.numel() // 2:
        raise ValueError(f"image {tuple(x.shape[-2:])} too small for window {kernel.numel()}")


def _ssim_map(x: Tensor, y: Tensor, kernel: Tensor, data_range: float, k1: float, k2: float) -> Tensor:
    """SSIM map with a given 1-D kernel; see ``ssim_map``."""
    _check_shapes(x, y, kernel)
    pad = kernel.numel() // 2
    dtype = _compute_dtype(x)
    with torch.autocast(device_type=x.device.type, enabled=False):
        x, y = x.to(dtype), y.to(dtype)
        kernel = kernel.to(device=x.device, dtype=dtype)
        c = x.shape[1]
        xy = F.pad(torch.cat([x, y], dim=1), (pad, pad, pad, pad), mode="reflect")
        xp, yp = xy[:, :c], xy[:, c:]
        stats = torch.cat([xp, yp, xp * xp, yp * yp, xp * yp], dim=1)
        if stats.device.type == "cpu" and dtype == torch.float32:
            # oneDNN runs depthwise convolutions about 1.5x faster (forward + backward) channels-last
            stats = stats.contiguous(memory_format=torch.channels_last)
        groups = stats.shape[1]
        stats = F.conv2d(stats, kernel.view(1, 1, 1, -1).expand(groups, 1, 1, -1), groups=groups)
        stats = F.conv2d(stats, kernel.view(1, 1, -1, 1).expand(groups, 1, -1, 1), groups=groups).contiguous()
        mu_x, mu_y, e_xx, e_yy, e_xy = stats.split(c, dim=1)
        mu_xx, mu_yy, mu_xy = mu_x * mu_x, mu_y * mu_y, mu_x * mu_y
        c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
        num = (2 * mu_xy + c1) * (2 * (e_xy - mu_xy) + c2)
        den = (mu_xx + mu_yy + c1) * ((e_xx - mu_xx) + (e_yy - mu_yy) + c2)
        return num / den


def ssim_map(
    x: Tensor,
    y: Tensor,
    window_size: int = WINDOW,
    sigma: float = 1.5,
    data_range: float = 1.0,
    k1: float = 0.01,
    k2: float = 0.03,
) -> Tensor:
    """Per-pixel SSIM of two (N, C, H, W) batches, same shape as the inputs.

    Computed in float32 (float64 stays float64), also under autocast.
    """
    kernel = gaussian_kernel1d(window_size, sigma, dtype=_compute_dtype(x), device=x.device)
    if _one_plain_image(x, y):
        _check_shapes(x, y, kernel)
        c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
        return torch.from_numpy(_ssim_map_cv(x[0, 0].numpy(), y[0, 0].numpy(), kernel.numpy(), c1, c2))[None, None]
    return _ssim_map(x, y, kernel, data_range, k1, k2)


def _one_plain_image(x: Tensor, y: Tensor) -> bool:
    """One float32 single-channel CPU image pair, in inference mode."""
    plain = x.dtype == y.dtype == torch.float32 and x.device.type == y.device.type == "cpu"
    return plain and x.dim() == 4 and x.shape[:2] == (1, 1) and torch.is_inference_mode_enabled()


def _ssim_map_cv(x: np.ndarray, y: np.ndarray, kernel: np.ndarray, c1: float, c2: float) -> np.ndarray:
    """:func:`_ssim_map` of two 2-D float32 images by OpenCV (reflect padding without the edge pixel, as torch's)."""

    def blur(a: np.ndarray) -> np.ndarray:
        return cv2.sepFilter2D(a, cv2.CV_32F, kernel, kernel, borderType=cv2.BORDER_REFLECT_101)

    mu_x, mu_y, e_xx, e_yy, e_xy = blur(x), blur(y), blur(x * x), blur(y * y), blur(x * y)
    mu_xx, mu_yy, mu_xy = mu_x * mu_x, mu_y * mu_y, mu_x * mu_y
    num = (2 * mu_xy + c1) * (2 * (e_xy - mu_xy) + c2)
    den = (mu_xx + mu_yy + c1) * ((e_xx - mu_xx) + (e_yy - mu_yy) + c2)
    return num / den


def ssim(
    x: Tensor,
    y: Tensor,
    window_size: int = WINDOW,
    sigma: float = 1.5,
    data_range: float = 1.0,
    k1: float = 0.01,
    k2: float = 0.03,
) -> Tensor:
    """Mean SSIM per image, shape (N,)."""
    return ssim_map(x, y, window_size, sigma, data_range, k1, k2).flatten(1).mean(1)


def dssim(x: Tensor, y: Tensor, window_size: int = WINDOW, sigma: float = 1.5, data_range: float = 1.0) -> Tensor:
    """Structural dissimilarity, the scalar mean of (1 − SSIM map) / 2 over the batch."""
    return ((1 - ssim_map(x, y, window_size, sigma, data_range)) / 2).mean()


class SSIMLoss(nn.Module):
    """DSSIM as a module; the Gaussian kernel is cached as a non-persistent buffer."""

    kernel: Tensor

    def __init__(self, window_size: int = WINDOW, sigma: float = 1.5) -> None:
        super().__init__()
        self.window_size = window_size
        self.sigma = sigma
        self.register_buffer("kernel", gaussian_kernel1d(window_size, sigma), persistent=False)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        """DSSIM of two (N, C, H, W) batches as a scalar."""
        kernel = self.kernel
        if kernel.dtype != _compute_dtype(x):  # float64 input, or the module was cast with .half()
            kernel = gaussian_kernel1d(self.window_size, self.sigma, _compute_dtype(x), x.device)
        return ((1 - _ssim_map(x, y, kernel, 1.0, 0.01, 0.03)) / 2).mean()

    def extra_repr(self) -> str:
        return f"window_size={self.window_size}, sigma={self.sigma}"

"""DRAEM's loss: L2 + SSIM on the repainting, focal loss on the segmentation."""

import torch
from torch import Tensor
from torch.nn import functional as F

from aoikit.losses.ssim import WINDOW, ssim_map
from aoikit.models.draem.network import DRAEMOutput


def focal_loss(logits: Tensor, target: Tensor, gamma: float = 2.0) -> Tensor:
    """Mean binary focal loss (Lin et al. 2017) of anomaly logits against a {0, 1} mask of the same shape."""
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_true = torch.exp(-bce)
    return ((1 - p_true) ** gamma * bce).mean()


def draem_loss(out: DRAEMOutput, clean: Tensor, mask: Tensor, window: int = WINDOW) -> dict[str, Tensor]:
    """``loss`` = L2 + (1 − SSIM) between the repainting and the clean image + focal loss on the mask."""
    l2 = F.mse_loss(out.reconstruction, clean)
    ssim = (1 - ssim_map(out.reconstruction, clean, window)).mean()
    focal = focal_loss(out.logits, mask)
    return {"loss": l2 + ssim + focal, "l2": l2, "ssim": ssim, "focal": focal}

"""DRAEM's two subnetworks (Zavrtanik et al., ICCV 2021), narrowed for CPU training.

A reconstructive encoder-decoder without skip connections repaints the image as a good one; a discriminative
U-Net reads the image beside its repainting and segments what differs.
"""

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from aoikit.models.blocks import UNet
from aoikit.models.registry import register_model


@dataclass
class DRAEMConfig:
    """Base widths of the two subnetworks (each level doubles them, up to 8×), image channels, ``depth``
    (poolings per subnetwork) and ``stem``, the stride of the first convolution: both subnetworks work at
    1/stem of the input's resolution and upsample their outputs. Inputs must be multiples of ``stem * 2**depth``."""

    recon_width: int = 16
    disc_width: int = 16
    channels: int = 1
    depth: int = 3
    stem: int = 4

    def __post_init__(self) -> None:
        if min(self.recon_width, self.disc_width, self.channels) < 1:
            raise ValueError("widths and channels must be positive")
        if not 1 <= self.depth <= 6:
            raise ValueError(f"depth must lie in [1, 6], got {self.depth}")
        if self.stem not in (1, 2, 4):
            raise ValueError(f"stem must be 1, 2 or 4, got {self.stem}")

    @property
    def multiple(self) -> int:
        """Input sides must be multiples of this."""
        return self.stem * 2**self.depth


class DRAEMOutput(NamedTuple):
    """The repainted image in [0, 1] and the anomaly logits, both (N, C or 1, H, W)."""

    reconstruction: Tensor
    logits: Tensor


@register_model("draem")
class DRAEM(nn.Module):
    """Reconstructive + discriminative subnetworks for (N, C, H, W) images in [0, 1], H and W multiples of
    ``config.multiple``; the same output in train and eval mode."""

    config_cls = DRAEMConfig

    def __init__(self, config: DRAEMConfig | None = None) -> None:
        super().__init__()
        self.config = config or DRAEMConfig()
        cfg = self.config
        c = cfg.channels
        self.reconstructive = UNet(c, c, cfg.recon_width, cfg.depth, skips=False, stem=cfg.stem)
        self.discriminative = UNet(2 * c, 1, cfg.disc_width, cfg.depth, skips=True, stem=cfg.stem)

    def forward(self, x: Tensor) -> DRAEMOutput:
        """Repaint ``x`` and segment where it differs from its repainting."""
        recon = torch.sigmoid(self.reconstructive(x))
        return DRAEMOutput(recon, self.discriminative(torch.cat([x, recon], dim=1)))

"""Locally aware patch features (Roth et al. 2022, "Towards Total Recall in Industrial Anomaly Detection"): the
outputs of two or more blocks of a frozen ImageNet network, each averaged over a small neighbourhood, brought to
the finest block's resolution and stacked per pixel."""

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from aoikit.models.patchcore.backbone import (
    EfficientNetLite,
    EfficientNetLiteConfig,
    block_plan,
    block_strides,
    normalise,
)
from aoikit.models.registry import register_model

DEFAULT_LAYERS = (4, 10)
"""Blocks whose outputs are stacked: the last of the stride-8 stage (40 channels) and of the stride-16 one (112)."""


@dataclass
class PatchFeaturesConfig:
    """``layers``: indices of the EfficientNet-Lite0 blocks to use (ascending); ``aggregate``: side of the
    neighbourhood each feature is averaged over (odd); ``pad``: pixels of the image mirrored around it before the
    network and cut from the features after (a multiple of the deepest layer's stride), so that patches at the
    frame's edge see image rather than the network's zero padding."""

    layers: list[int] = field(default_factory=lambda: list(DEFAULT_LAYERS))
    aggregate: int = 3
    pad: int = 0

    def __post_init__(self) -> None:
        count = len(block_strides())
        if not self.layers or sorted(set(self.layers)) != list(self.layers) or not 0 <= self.layers[0] < count:
            raise ValueError(f"layers must be ascending distinct block indices in [0, {count - 1}], got {self.layers}")
        if self.layers[-1] >= count:
            raise ValueError(f"layers must be block indices below {count}, got {self.layers}")
        if self.aggregate < 1 or self.aggregate % 2 == 0:
            raise ValueError(f"aggregate must be an odd number ≥ 1, got {self.aggregate}")
        if self.pad < 0 or self.pad % self.multiple:
            raise ValueError(f"pad must be a multiple of {self.multiple} pixels ≥ 0, got {self.pad}")

    @property
    def channels(self) -> int:
        """Feature dimensions: the channels of every layer used."""
        return sum(block_plan()[i][1] for i in self.layers)

    @property
    def stride(self) -> int:
        """Image pixels per feature pixel (the finest layer's)."""
        return block_strides()[self.layers[0]]

    @property
    def multiple(self) -> int:
        """Input sides must be multiples of this (the deepest layer's stride)."""
        return block_strides()[self.layers[-1]]


@register_model("patchcore")
class PatchFeatures(nn.Module):
    """Frozen EfficientNet-Lite0 blocks on (N, 1, H, W) grey images in [0, 1]; returns (N, C, H/s, W/s) features."""

    config_cls = PatchFeaturesConfig

    def __init__(self, config: PatchFeaturesConfig) -> None:
        super().__init__()
        self.config = config
        self.backbone = EfficientNetLite(EfficientNetLiteConfig(blocks=config.layers[-1] + 1, head=False))
        self.requires_grad_(False)

    def forward(self, x: Tensor) -> Tensor:
        pad = self.config.pad
        if pad:
            x = F.pad(x, (pad, pad, pad, pad), mode="reflect")
        maps = self.backbone.features(normalise(x), list(self.config.layers))
        k = self.config.aggregate
        pooled = [F.avg_pool2d(m, k, stride=1, padding=k // 2, count_include_pad=False) for m in maps]
        strides = [block_strides()[i] for i in self.config.layers]
        up = [
            F.interpolate(m, scale_factor=s // strides[0], mode="bilinear")
            for m, s in zip(pooled, strides, strict=True)
        ]
        features = torch.cat([pooled[0], *up[1:]], dim=1)
        cut = pad // strides[0]
        return features[..., cut:-cut, cut:-cut] if cut else features

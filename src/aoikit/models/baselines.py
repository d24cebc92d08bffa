"""Model-free reference reconstructions that every results table carries."""

from dataclasses import dataclass

import torch
from torch import nn

from aoikit.models.registry import register_model


@dataclass
class FlatConfig:
    """The flat baseline has nothing to configure."""


@register_model("flat")
class FlatPatch(nn.Module):
    """Replaces each patch by its mean grey level: finds whatever is not plain, learns nothing."""

    config_cls = FlatConfig

    def __init__(self, config: FlatConfig | None = None) -> None:
        super().__init__()
        self.config = config or FlatConfig()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, p, p) patches to their per-patch mean, same shape."""
        return x.mean(dim=(-2, -1), keepdim=True).expand_as(x)

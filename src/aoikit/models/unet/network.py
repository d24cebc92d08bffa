"""A compact U-Net that labels each pixel background or one of the known defect types."""

from dataclasses import dataclass

from torch import Tensor, nn

from aoikit.models.blocks import UNet
from aoikit.models.registry import register_model


@dataclass
class SegNetConfig:
    """``width``: channels of the first level (each level doubles them, up to 8×); ``depth``: poolings;
    ``stem``: stride of the first convolution (the network works at 1/stem resolution and upsamples);
    ``classes``: background plus one per defect type. Inputs must be multiples of ``stem * 2**depth``."""

    width: int = 16
    depth: int = 3
    stem: int = 2
    channels: int = 1
    classes: int = 2

    def __post_init__(self) -> None:
        if min(self.width, self.channels) < 1 or self.classes < 2:
            raise ValueError("width and channels must be positive and classes at least 2 (background + a type)")
        if not 1 <= self.depth <= 6 or self.stem not in (1, 2, 4):
            raise ValueError(f"depth must lie in [1, 6] and stem be 1, 2 or 4, got {self.depth}, {self.stem}")

    @property
    def multiple(self) -> int:
        """Input sides must be multiples of this."""
        return self.stem * 2**self.depth


@register_model("unet")
class SegNet(nn.Module):
    """(N, C, H, W) images in [0, 1] → (N, classes, H, W) logits; class 0 is background."""

    config_cls = SegNetConfig

    def __init__(self, config: SegNetConfig | None = None) -> None:
        super().__init__()
        self.config = config or SegNetConfig()
        cfg = self.config
        self.net = UNet(cfg.channels, cfg.classes, cfg.width, cfg.depth, skips=True, stem=cfg.stem)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)

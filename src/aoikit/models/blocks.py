"""Convolutional building blocks shared by model families: conv-BN-ReLU blocks and a configurable U-Net."""

import torch
from torch import Tensor, nn


def _block(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    """Two conv-BN-ReLU layers; the first is a ``stride`` × ``stride`` patch embedding when ``stride`` > 1."""
    first = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False) if stride == 1 else nn.Conv2d(c_in, c_out, stride, stride)
    return nn.Sequential(
        first,
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


def _widths(base: int, depth: int) -> list[int]:
    return [base * 2 ** min(level, 3) for level in range(depth + 1)]


class _Up(nn.Module):
    """Bilinear ×2 upsampling, then a block; with a skip tensor, the two are concatenated first."""

    def __init__(self, c_in: int, c_skip: int, c_out: int) -> None:
        super().__init__()
        self.block = _block(c_in + c_skip, c_out)

    def forward(self, x: Tensor, skip: Tensor | None = None) -> Tensor:
        x = nn.functional.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        return self.block(x if skip is None else torch.cat([x, skip], dim=1))


class UNet(nn.Module):
    """Encoder-decoder of ``depth`` poolings after a ``stem``-strided first layer; ``skips`` joins each decoder
    level to its encoder level; the output is upsampled back to the input's size."""

    def __init__(self, c_in: int, c_out: int, base: int, depth: int, skips: bool, stem: int = 1) -> None:
        super().__init__()
        widths = _widths(base, depth)
        self.skips, self.stem = skips, stem
        self.down = nn.ModuleList([_block(c_in, widths[0], stem)])
        self.down.extend(_block(widths[i], widths[i + 1]) for i in range(depth))
        self.up = nn.ModuleList(
            _Up(widths[i + 1], widths[i] if skips else 0, widths[i]) for i in reversed(range(depth))
        )
        self.head = nn.Conv2d(widths[0], c_out, 1)

    def forward(self, x: Tensor) -> Tensor:
        features = [self.down[0](x)]
        for block in self.down[1:]:
            features.append(block(nn.functional.max_pool2d(features[-1], 2)))
        y = features.pop()
        for up in self.up:
            skip = features.pop()
            y = up(y, skip if self.skips else None)
        y = self.head(y)
        if self.stem == 1:
            return y
        return nn.functional.interpolate(y, scale_factor=float(self.stem), mode="bilinear", align_corners=False)

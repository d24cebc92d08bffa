"""Convolutional autoencoder of Bergmann et al. (2018), "Improving Unsupervised Defect Segmentation
by Applying Structural Similarity to Autoencoders", Table 1."""

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from aoikit.models.registry import register_model

# (out_channels, kernel, stride, padding) of the encoder up to the bottleneck; the decoder mirrors it.
_ENCODER = [
    (32, 4, 2, 1),
    (32, 4, 2, 1),
    (32, 3, 1, 1),
    (64, 4, 2, 1),
    (64, 3, 1, 1),
    (128, 4, 2, 1),
    (64, 3, 1, 1),
    (32, 3, 1, 1),
]
_DECODER = [(64, 3, 1, 1), (128, 3, 1, 1), (64, 4, 2, 1), (64, 3, 1, 1), (32, 4, 2, 1), (32, 3, 1, 1), (32, 4, 2, 1)]


@dataclass
class SSIMAEConfig:
    """Size of the code vector, image channels and training patch side (a multiple of 16)."""

    latent_dim: int = 100
    channels: int = 1
    patch_size: int = 128

    def __post_init__(self) -> None:
        if self.latent_dim < 1 or self.channels < 1:
            raise ValueError(f"latent_dim and channels must be positive, got {self.latent_dim}, {self.channels}")
        if self.patch_size < 16 or self.patch_size % 16:
            raise ValueError(f"patch_size must be a positive multiple of 16, got {self.patch_size}")


def _act() -> nn.LeakyReLU:
    return nn.LeakyReLU(0.2, inplace=True)


def _he_init(module: nn.Module) -> None:
    """He (Kaiming) normal init for LeakyReLU(0.2), zero biases.

    With PyTorch's default init this 18-layer network outputs a near-constant patch and stays there
    (the flat reconstruction); with He init it leaves that plateau within a few hundred steps.
    """
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d):
        fan: Literal["fan_in", "fan_out"] = "fan_out" if isinstance(module, nn.ConvTranspose2d) else "fan_in"
        nn.init.kaiming_normal_(module.weight, a=0.2, mode=fan, nonlinearity="leaky_relu")
        if module.bias is not None:
            nn.init.zeros_(module.bias)


@register_model("ssim_ae")
class SSIMAutoencoder(nn.Module):
    """Autoencoder for (N, C, p, p) patches with values in [0, 1]; the output is a sigmoid, also in [0, 1].

    With p = 128 the encoder goes 64²×32, 32²×32, 32²×32, 16²×64, 16²×64, 8²×128, 8²×64, 8²×32, 1²×d
    and the decoder mirrors it with transposed convolutions. LeakyReLU(0.2) follows every layer except
    the bottleneck and the output.
    """

    config_cls = SSIMAEConfig

    def __init__(self, config: SSIMAEConfig | None = None) -> None:
        super().__init__()
        self.config = config or SSIMAEConfig()
        c, d, k = self.config.channels, self.config.latent_dim, self.config.patch_size // 16
        enc: list[nn.Module] = []
        in_ch = c
        for out_ch, kernel, stride, pad in _ENCODER:
            enc += [nn.Conv2d(in_ch, out_ch, kernel, stride, pad), _act()]
            in_ch = out_ch
        enc.append(nn.Conv2d(in_ch, d, k, 1, 0))
        self.encoder = nn.Sequential(*enc)

        dec: list[nn.Module] = [nn.ConvTranspose2d(d, 32, k, 1, 0), _act()]
        in_ch = 32
        for out_ch, kernel, stride, pad in _DECODER:
            dec += [nn.ConvTranspose2d(in_ch, out_ch, kernel, stride, pad), _act()]
            in_ch = out_ch
        dec += [nn.ConvTranspose2d(in_ch, c, 4, 2, 1), nn.Sigmoid()]
        self.decoder = nn.Sequential(*dec)
        self.apply(_he_init)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, p, p) patches to (N, latent_dim, 1, 1) codes."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(N, latent_dim, 1, 1) codes to (N, C, p, p) reconstructions in [0, 1]."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct (N, C, p, p) patches in [0, 1]; same output in train and eval mode."""
        return self.decoder(self.encoder(x))

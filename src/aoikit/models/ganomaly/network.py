"""GANomaly (Akcay et al., 2018): an encoder-decoder-encoder generator and a DCGAN discriminator.

All modules take and return images in [0, 1]. With ``output="tanh"`` the networks work in
[-1, 1] internally: inputs are mapped with ``2x - 1`` on the way in and the decoder output with
``(y + 1) / 2`` on the way out, so callers never see the difference.
"""

from dataclasses import dataclass
from typing import NamedTuple

from torch import Tensor, nn

from aoikit.models.registry import register_model

IMAGE_SIZES = (64, 128, 256)
OUTPUTS = ("sigmoid", "tanh")


@dataclass
class GANomalyConfig:
    """Architecture of a GANomaly model; ``image_size`` is the square input side in pixels."""

    image_size: int = 128
    channels: int = 1
    latent_dim: int = 100
    ngf: int = 64
    ndf: int = 64
    output: str = "sigmoid"

    def __post_init__(self) -> None:
        if self.image_size not in IMAGE_SIZES:
            raise ValueError(f"GANomaly image_size must be one of {IMAGE_SIZES}, got {self.image_size}")
        if self.output not in OUTPUTS:
            raise ValueError(f"GANomaly output must be one of {OUTPUTS}, got {self.output!r}")
        for name in ("channels", "latent_dim", "ngf", "ndf"):
            if getattr(self, name) < 1:
                raise ValueError(f"GANomaly {name} must be positive, got {getattr(self, name)}")


class GeneratorOutput(NamedTuple):
    """What the generator returns in train and eval mode alike."""

    fake: Tensor
    """Reconstruction G(x) in [0, 1], shape (N, C, H, W)."""
    latent_i: Tensor
    """Latent code of the input, (N, latent_dim, 1, 1)."""
    latent_o: Tensor
    """Latent code of the reconstruction, (N, latent_dim, 1, 1)."""


def init_weights(module: nn.Module) -> None:
    """DCGAN init for one module: conv weights N(0, 0.02), BatchNorm weights N(1, 0.02), biases 0.

    Meant for ``model.apply(init_weights)``, which visits every nested submodule.
    """
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def _n_pyramid(image_size: int) -> int:
    """Number of stride-2 BatchNorm layers between the first conv (size/2) and 4×4."""
    return (image_size // 8).bit_length() - 1


class Encoder(nn.Module):
    """DCGAN encoder: image (N, C, S, S) -> features (N, F, 4, 4) -> code (N, out_dim, 1, 1)."""

    def __init__(self, image_size: int, channels: int, out_dim: int, width: int) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.Conv2d(channels, width, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        for _ in range(_n_pyramid(image_size)):
            layers += [
                nn.Conv2d(width, width * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width * 2),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            width *= 2
        self.features = nn.Sequential(*layers)
        self.feature_dim = width
        self.head = nn.Conv2d(width, out_dim, 4, 1, 0, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        """Encode to a (N, out_dim, 1, 1) code."""
        return self.head(self.features(x))


class Decoder(nn.Module):
    """Mirror of :class:`Encoder`: code (N, latent, 1, 1) -> image (N, C, S, S), activation included."""

    def __init__(self, image_size: int, channels: int, latent_dim: int, width: int, output: str = "sigmoid") -> None:
        super().__init__()
        n = _n_pyramid(image_size)
        width = width * 2**n
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(latent_dim, width, 4, 1, 0, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        ]
        for _ in range(n):
            layers += [
                nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width // 2),
                nn.ReLU(inplace=True),
            ]
            width //= 2
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False), _activation(output)]
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        """Decode a (N, latent, 1, 1) code to an image in the output activation's range."""
        return self.net(z)


def _activation(output: str) -> nn.Module:
    if output == "sigmoid":
        return nn.Sigmoid()
    if output == "tanh":
        return nn.Tanh()
    raise ValueError(f"GANomaly output must be one of {OUTPUTS}, got {output!r}")


class GANomalyGenerator(nn.Module):
    """Encoder -> decoder -> encoder; takes and returns [0, 1] images."""

    def __init__(self, config: GANomalyConfig) -> None:
        super().__init__()
        c = config
        self.tanh = c.output == "tanh"
        self.encoder1 = Encoder(c.image_size, c.channels, c.latent_dim, c.ngf)
        self.decoder = Decoder(c.image_size, c.channels, c.latent_dim, c.ngf, c.output)
        self.encoder2 = Encoder(c.image_size, c.channels, c.latent_dim, c.ngf)
        self.apply(init_weights)

    def forward(self, x: Tensor) -> GeneratorOutput:
        """Reconstruct ``x`` and encode both the input and the reconstruction."""
        if self.tanh:
            x = x * 2 - 1
        latent_i = self.encoder1(x)
        fake = self.decoder(latent_i)
        latent_o = self.encoder2(fake)
        if self.tanh:
            fake = (fake + 1) / 2
        return GeneratorOutput(fake, latent_i, latent_o)


class Discriminator(nn.Module):
    """The encoder design ending in one logit; takes [0, 1] images."""

    def __init__(self, config: GANomalyConfig) -> None:
        super().__init__()
        c = config
        self.tanh = c.output == "tanh"
        encoder = Encoder(c.image_size, c.channels, 1, c.ndf)
        self.features = encoder.features
        self.classifier = encoder.head
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw every weight with the DCGAN init (used when the discriminator loss collapses)."""
        self.apply(init_weights)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Return ``(logit (N,), features (N, F, 4, 4))``."""
        if self.tanh:
            x = x * 2 - 1
        features = self.features(x)
        return self.classifier(features).flatten(), features


@register_model("ganomaly")
class GANomaly(nn.Module):
    """GANomaly generator and discriminator; ``forward`` runs the generator only.

    Both parts receive the DCGAN init on every nested submodule when they are built.
    """

    config_cls = GANomalyConfig

    def __init__(self, config: GANomalyConfig | None = None) -> None:
        super().__init__()
        self.config = config if config is not None else GANomalyConfig()
        self.generator = GANomalyGenerator(self.config)
        self.discriminator = Discriminator(self.config)

    def forward(self, x: Tensor) -> GeneratorOutput:
        """Reconstruct [0, 1] images ``x`` of shape (N, C, S, S)."""
        return self.generator(x)


__all__ = [
    "Decoder",
    "Discriminator",
    "Encoder",
    "GANomaly",
    "GANomalyConfig",
    "GANomalyGenerator",
    "GeneratorOutput",
    "init_weights",
]

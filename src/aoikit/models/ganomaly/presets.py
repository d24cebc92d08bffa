"""The three GANomaly variants of the LED-AOI study and the training schedules, as data.

Each preset becomes a model config, a generator-loss config and a score config. A schedule sets how long and how
fast :class:`aoikit.models.ganomaly.loop.GANTrainConfig` trains: "seed" is the study's (200 epochs, batch 1).
"""

from dataclasses import dataclass, replace
from typing import Any

from aoikit.errors import AoikitError
from aoikit.losses.ssim import WINDOW
from aoikit.models.ganomaly.loss import GeneratorLossConfig
from aoikit.models.ganomaly.network import GANomalyConfig
from aoikit.models.ganomaly.score import ScoreConfig


@dataclass(frozen=True)
class GANomalyPreset:
    """Architecture, loss weights, score and optimiser settings of one GANomaly variant."""

    image_size: int
    latent_dim: int
    w_adv: float
    w_con: float
    w_enc: float
    contextual: str
    score_distance: str
    lam: float
    window_size: int = WINDOW

    def model_config(self, **overrides: Any) -> GANomalyConfig:
        """A fresh :class:`GANomalyConfig`; ``overrides`` set other fields (latent_dim, channels, ngf, ...)."""
        return GANomalyConfig(**{"image_size": self.image_size, "latent_dim": self.latent_dim, **overrides})

    def loss_config(self) -> GeneratorLossConfig:
        """A fresh :class:`GeneratorLossConfig` for the generator loss."""
        return GeneratorLossConfig(self.w_adv, self.w_con, self.w_enc, self.contextual, self.window_size)

    def score_config(self) -> ScoreConfig:
        """A fresh :class:`ScoreConfig` for ``anomaly_score``."""
        return ScoreConfig(self.lam, self.score_distance, self.window_size)


PRESETS: dict[str, GANomalyPreset] = {
    "ganomaly-l1-l1": GANomalyPreset(
        image_size=64, latent_dim=100, w_adv=20.0, w_con=1.0, w_enc=1.0, contextual="l1", score_distance="l1", lam=0.5
    ),
    "ganomaly-ssim-l1": GANomalyPreset(
        image_size=128,
        latent_dim=100,
        w_adv=1.0,
        w_con=50.0,
        w_enc=1.0,
        contextual="ssim",
        score_distance="l1",
        lam=0.8,
    ),
    "ganomaly-ssim-ssim": GANomalyPreset(
        image_size=128,
        latent_dim=100,
        w_adv=1.0,
        w_con=50.0,
        w_enc=1.0,
        contextual="ssim",
        score_distance="ssim",
        lam=0.8,
    ),
}


@dataclass(frozen=True)
class Schedule:
    """Epochs, batch size, Adam's learning rate and β1, and whether the learning rate decays linearly."""

    epochs: int
    batch_size: int
    lr: float
    beta1: float
    lr_decay: bool


SCHEDULES: dict[str, Schedule] = {
    "default": Schedule(epochs=15, batch_size=16, lr=1e-4, beta1=0.5, lr_decay=True),
    "seed": Schedule(epochs=200, batch_size=1, lr=1e-4, beta1=0.5, lr_decay=True),
}


def get_preset(name: str, **overrides: Any) -> GANomalyPreset:
    """The preset called ``name`` with some fields replaced, e.g. ``lam=0.5``.

    Raises:
        AoikitError: for an unknown name (the message lists the known ones).
    """
    if name not in PRESETS:
        raise AoikitError(f"unknown GANomaly preset {name!r}; known presets: {', '.join(sorted(PRESETS))}")
    return replace(PRESETS[name], **overrides)

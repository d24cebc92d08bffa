"""GANomaly anomaly scores and maps, with L1 or SSIM as the image distance.

The image score is ``A = λ·R + (1 − λ)·L`` per image, where

- R, the reconstruction term, is ``mean_{c,h,w} |x − G(x)|`` (``"l1"``) or
  ``1 − mean_{c,h,w} SSIM_map(x, G(x))`` with a ``window_size`` Gaussian window (``"ssim"``);
- L, the latent term, is ``mean_d (z_i − z_o)²`` over the ``latent_dim`` code entries.

The scores are raw. The original code min-max normalises A over the test set; aoikit instead
fits min and max on held-out good validation images (in ``aoikit.metrics``), applied to A.
Everything here is computed in float32, also under autocast.
"""

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor

from aoikit.losses.ssim import WINDOW, ssim_map
from aoikit.models.ganomaly.network import GeneratorOutput

DISTANCES = ("l1", "ssim")


@dataclass
class ScoreConfig:
    """Weight λ of the reconstruction term, the image distance and the SSIM window."""

    lam: float = 0.9
    distance: str = "ssim"
    window_size: int = WINDOW

    def __post_init__(self) -> None:
        _check_lam(self.lam)
        _check_distance(self.distance)


class ScoreComponents(NamedTuple):
    """The two per-image terms of the GANomaly score, each (N,)."""

    recon: Tensor
    latent: Tensor

    def combine(self, lam: float) -> Tensor:
        """The score ``λ·R + (1 − λ)·L``, shape (N,)."""
        _check_lam(lam)
        return lam * self.recon + (1 - lam) * self.latent


def _check_lam(lam: float) -> None:
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam must be in [0, 1], got {lam}")


def _check_distance(distance: str) -> None:
    if distance not in DISTANCES:
        raise ValueError(f"distance must be one of {DISTANCES}, got {distance!r}")


def pixel_map(x: Tensor, fake: Tensor, distance: str = "ssim", window_size: int = WINDOW) -> Tensor:
    """Per-pixel distance (N, 1, H, W): |x − G(x)| or 1 − SSIM map, averaged over channels."""
    _check_distance(distance)
    with torch.autocast(device_type=x.device.type, enabled=False):
        x, fake = x.float(), fake.float()
        d = (x - fake).abs() if distance == "l1" else 1 - ssim_map(x, fake, window_size)
        return d.mean(dim=1, keepdim=True)


def score_components(
    x: Tensor, out: GeneratorOutput, distance: str = "ssim", window_size: int = WINDOW
) -> ScoreComponents:
    """Reconstruction term R and latent term L per image, before weighting."""
    recon = pixel_map(x, out.fake, distance, window_size).flatten(1).mean(1)
    latent = (out.latent_i.float() - out.latent_o.float()).pow(2).flatten(1).mean(1)
    return ScoreComponents(recon, latent)


def anomaly_score(
    x: Tensor, out: GeneratorOutput, lam: float, distance: str = "ssim", window_size: int = WINDOW
) -> Tensor:
    """Raw GANomaly score ``λ·R + (1 − λ)·L`` per image, shape (N,); higher is more anomalous."""
    _check_lam(lam)
    return score_components(x, out, distance, window_size).combine(lam)

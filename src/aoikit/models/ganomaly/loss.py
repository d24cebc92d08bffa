"""GANomaly losses: the weighted generator objective and the discriminator's BCE.

The contextual (reconstruction) term is either the L1 loss of the paper or, as in the LED-AOI
study, the SSIM distance ``1 − mean SSIM`` (not DSSIM's ``(1 − SSIM) / 2``, so ``w_con`` keeps
the scale the study used).
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from aoikit.losses.ssim import WINDOW, ssim
from aoikit.models.ganomaly.network import GeneratorOutput

CONTEXTUAL = ("l1", "ssim")


@dataclass
class GeneratorLossConfig:
    """Weights of the adversarial, contextual and encoder terms and the contextual distance."""

    w_adv: float = 1.0
    w_con: float = 50.0
    w_enc: float = 1.0
    contextual: str = "l1"
    window_size: int = WINDOW

    def __post_init__(self) -> None:
        if self.contextual not in CONTEXTUAL:
            raise ValueError(f"contextual must be one of {CONTEXTUAL}, got {self.contextual!r}")


class GeneratorLoss(nn.Module):
    """``w_adv·adv + w_con·con + w_enc·enc`` for a GANomaly generator.

    - adv: MSE between discriminator features of the real and the fake batch (feature matching).
    - con: mean |x − G(x)| (``"l1"``) or 1 − mean SSIM(x, G(x)) with a ``window_size`` Gaussian
      window (``"ssim"``), averaged over the batch.
    - enc: MSE between the latent codes of the input and of the reconstruction.
    """

    def __init__(
        self,
        w_adv: float = 1.0,
        w_con: float = 50.0,
        w_enc: float = 1.0,
        contextual: str = "l1",
        window_size: int = WINDOW,
    ) -> None:
        super().__init__()
        if contextual not in CONTEXTUAL:
            raise ValueError(f"contextual must be one of {CONTEXTUAL}, got {contextual!r}")
        self.w_adv, self.w_con, self.w_enc = w_adv, w_con, w_enc
        self.contextual = contextual
        self.window_size = window_size

    @classmethod
    def from_config(cls, config: GeneratorLossConfig) -> "GeneratorLoss":
        """Build the loss from a :class:`GeneratorLossConfig`."""
        return cls(config.w_adv, config.w_con, config.w_enc, config.contextual, config.window_size)

    def contextual_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        """Batch-mean L1 or SSIM distance between ``real`` and ``fake``."""
        if self.contextual == "ssim":
            return 1 - ssim(real, fake, self.window_size).mean()
        return F.l1_loss(fake, real)

    def forward(self, real: Tensor, out: GeneratorOutput, feat_real: Tensor, feat_fake: Tensor) -> dict[str, Tensor]:
        """Return ``{"loss", "adv", "con", "enc"}``, each a scalar; ``loss`` is the weighted sum."""
        adv = F.mse_loss(feat_fake, feat_real)
        con = self.contextual_loss(real, out.fake)
        enc = F.mse_loss(out.latent_o, out.latent_i)
        loss = self.w_adv * adv + self.w_con * con + self.w_enc * enc
        return {"loss": loss, "adv": adv, "con": con, "enc": enc}

    def extra_repr(self) -> str:
        return (
            f"w_adv={self.w_adv}, w_con={self.w_con}, w_enc={self.w_enc}, "
            f"contextual={self.contextual!r}, window_size={self.window_size}"
        )


def discriminator_loss(logit_real: Tensor, logit_fake: Tensor) -> Tensor:
    """Mean of the BCE-with-logits of real (target 1) and fake (target 0), as in GANomaly."""
    real = F.binary_cross_entropy_with_logits(logit_real, torch.ones_like(logit_real))
    fake = F.binary_cross_entropy_with_logits(logit_fake, torch.zeros_like(logit_fake))
    return (real + fake) / 2

"""One GANomaly optimisation step: generator first, then discriminator, each with its own optimiser."""

import torch
from torch import Tensor

from aoikit.models.ganomaly.loss import GeneratorLoss, discriminator_loss
from aoikit.models.ganomaly.network import GANomaly
from aoikit.models.ganomaly.score import ScoreConfig, score_components

D_COLLAPSE = 1e-5
"""Discriminator loss below which the discriminator is re-initialised, as in the original code."""


class GANomalyStep:
    """Train and eval steps for :class:`GANomaly` on batches of [0, 1] images (N, C, S, S).

    Args:
        loss: the generator loss (weights and contextual distance).
        score: how ``eval_step`` scores images.
    """

    def __init__(self, loss: GeneratorLoss, score: ScoreConfig | None = None) -> None:
        self.loss = loss
        self.score = score if score is not None else ScoreConfig()

    def train_step(
        self, model: GANomaly, batch: Tensor, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer
    ) -> dict[str, float]:
        """Update the generator on ``GeneratorLoss``, then the discriminator on real-vs-fake BCE.

        Returns the generator terms (``loss``, ``adv``, ``con``, ``enc``), ``d_loss`` and
        ``d_reset`` (1.0 when the discriminator loss fell below 1e-5 and it was re-initialised).
        """
        model.train()
        g, d = model.generator, model.discriminator
        logit_real, feat_real = d(batch)
        out = g(batch)
        _, feat_fake = d(out.fake)
        terms = self.loss(batch, out, feat_real.detach(), feat_fake)
        opt_g.zero_grad(set_to_none=True)
        terms["loss"].backward()
        opt_g.step()

        logit_fake, _ = d(out.fake.detach())
        d_loss = discriminator_loss(logit_real, logit_fake)
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()

        logs = {k: v.item() for k, v in terms.items()}
        logs["d_loss"] = d_loss.item()
        logs["d_reset"] = float(logs["d_loss"] < D_COLLAPSE)
        if logs["d_reset"]:
            d.reset_parameters()
        return logs

    @torch.no_grad()
    def eval_step(self, model: GANomaly, batch: Tensor) -> dict[str, Tensor]:
        """Score a batch in eval mode: ``score`` = λ·R + (1 − λ)·L, plus ``recon``, ``latent``, ``fake``."""
        model.eval()
        out = model.generator(batch)
        s = self.score
        parts = score_components(batch, out, s.distance, s.window_size)
        return {"score": parts.combine(s.lam), "recon": parts.recon, "latent": parts.latent, "fake": out.fake}

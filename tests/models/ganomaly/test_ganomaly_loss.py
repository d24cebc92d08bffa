"""GANomaly generator and discriminator losses."""

import math

import pytest
import torch
import torch.nn.functional as F

from aoikit.losses.ssim import ssim
from aoikit.models.ganomaly.loss import GeneratorLoss, GeneratorLossConfig, discriminator_loss
from aoikit.models.ganomaly.network import GeneratorOutput


def _batch(seed: int = 0) -> tuple[torch.Tensor, GeneratorOutput, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    real = torch.rand(2, 1, 32, 32, generator=g)
    fake = (real + 0.1 * torch.randn(2, 1, 32, 32, generator=g)).clamp(0, 1)
    out = GeneratorOutput(fake, torch.randn(2, 8, 1, 1, generator=g), torch.randn(2, 8, 1, 1, generator=g))
    return real, out, torch.randn(2, 16, 4, 4, generator=g), torch.randn(2, 16, 4, 4, generator=g)


@pytest.mark.parametrize("contextual", ["l1", "ssim"])
def test_contextual_is_zero_for_identical_images(contextual: str) -> None:
    real, out, feat, _ = _batch()
    same = GeneratorOutput(real.clone(), out.latent_i, out.latent_i.clone())
    terms = GeneratorLoss(contextual=contextual)(real, same, feat, feat.clone())
    for name in ("loss", "adv", "con", "enc"):
        assert terms[name].item() == pytest.approx(0.0, abs=1e-6), name


def test_terms_match_their_definitions() -> None:
    real, out, feat_real, feat_fake = _batch()
    l1 = GeneratorLoss(contextual="l1")(real, out, feat_real, feat_fake)
    torch.testing.assert_close(l1["adv"], ((feat_real - feat_fake) ** 2).mean())
    torch.testing.assert_close(l1["con"], (real - out.fake).abs().mean())
    torch.testing.assert_close(l1["enc"], ((out.latent_i - out.latent_o) ** 2).mean())
    con = GeneratorLoss(contextual="ssim", window_size=7)(real, out, feat_real, feat_fake)["con"]
    torch.testing.assert_close(con, 1 - ssim(real, out.fake, 7).mean())  # the SSIM distance, not (1 − SSIM) / 2


def test_weights_scale_the_total() -> None:
    real, out, feat_real, feat_fake = _batch()
    terms = GeneratorLoss(w_adv=2.0, w_con=30.0, w_enc=0.5, contextual="ssim")(real, out, feat_real, feat_fake)
    expected = 2.0 * terms["adv"] + 30.0 * terms["con"] + 0.5 * terms["enc"]
    torch.testing.assert_close(terms["loss"], expected)
    only_con = GeneratorLoss(w_adv=0.0, w_con=1.0, w_enc=0.0, contextual="ssim")(real, out, feat_real, feat_fake)
    torch.testing.assert_close(only_con["loss"], terms["con"])
    doubled = GeneratorLoss(w_adv=4.0, w_con=60.0, w_enc=1.0, contextual="ssim")(real, out, feat_real, feat_fake)
    torch.testing.assert_close(doubled["loss"], 2 * terms["loss"])


def test_from_config_and_invalid_contextual() -> None:
    loss = GeneratorLoss.from_config(GeneratorLossConfig(w_adv=3.0, contextual="ssim", window_size=5))
    assert (loss.w_adv, loss.w_con, loss.contextual, loss.window_size) == (3.0, 50.0, "ssim", 5)
    with pytest.raises(ValueError, match="contextual"):
        GeneratorLoss(contextual="l2")
    with pytest.raises(ValueError, match="contextual"):
        GeneratorLossConfig(contextual="dssim")


def test_ssim_contextual_is_float32_under_autocast_and_has_gradients() -> None:
    real, out, feat_real, feat_fake = _batch()
    fake = out.fake.clone().requires_grad_(True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        terms = GeneratorLoss(contextual="ssim")(real, out._replace(fake=fake), feat_real, feat_fake)
    assert terms["con"].dtype == torch.float32
    terms["loss"].backward()
    assert fake.grad is not None and torch.isfinite(fake.grad).all() and fake.grad.abs().sum() > 0


def test_discriminator_loss() -> None:
    logit_real = torch.tensor([2.0, -1.0])
    logit_fake = torch.tensor([0.5, -3.0])
    expected = (
        F.binary_cross_entropy(torch.sigmoid(logit_real), torch.ones(2))
        + F.binary_cross_entropy(torch.sigmoid(logit_fake), torch.zeros(2))
    ) / 2
    torch.testing.assert_close(discriminator_loss(logit_real, logit_fake), expected)
    # A perfect discriminator drives the loss to 0; a coin-flipping one sits at log 2.
    assert discriminator_loss(torch.full((3,), 30.0), torch.full((3,), -30.0)).item() < 1e-12
    assert discriminator_loss(torch.zeros(3), torch.zeros(3)).item() == pytest.approx(math.log(2))

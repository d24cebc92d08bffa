"""GANomaly scores: the λ·R + (1 − λ)·L formula on hand-computed tensors, pixel maps, and a short training run."""

import pytest
import torch
import torch.nn.functional as F
from skimage.data import brick

from aoikit.losses.ssim import ssim_map
from aoikit.models.ganomaly import step as gan_step
from aoikit.models.ganomaly.loss import GeneratorLoss
from aoikit.models.ganomaly.network import GANomaly, GANomalyConfig, GeneratorOutput
from aoikit.models.ganomaly.score import ScoreConfig, anomaly_score, pixel_map, score_components
from aoikit.models.ganomaly.step import GANomalyStep


def _tiny() -> tuple[torch.Tensor, GeneratorOutput]:
    """Two 2×2 images; the second is reconstructed perfectly."""
    x = torch.tensor([[[[0.0, 1.0], [0.5, 0.5]]], [[[0.2, 0.2], [0.2, 0.2]]]])
    fake = torch.tensor([[[[0.5, 1.0], [0.0, 0.5]]], [[[0.2, 0.2], [0.2, 0.2]]]])
    latent_i = torch.tensor([[1.0, 2.0], [3.0, 3.0]]).view(2, 2, 1, 1)
    latent_o = torch.tensor([[0.0, 0.0], [3.0, 3.0]]).view(2, 2, 1, 1)
    return x, GeneratorOutput(fake, latent_i, latent_o)


def test_l1_score_by_hand() -> None:
    x, out = _tiny()
    recon, latent = score_components(x, out, distance="l1")
    torch.testing.assert_close(recon, torch.tensor([0.25, 0.0]))  # (0.5 + 0 + 0.5 + 0) / 4
    torch.testing.assert_close(latent, torch.tensor([2.5, 0.0]))  # (1² + 2²) / 2
    torch.testing.assert_close(anomaly_score(x, out, lam=0.8, distance="l1"), torch.tensor([0.8 * 0.25 + 0.2 * 2.5, 0]))
    torch.testing.assert_close(anomaly_score(x, out, lam=1.0, distance="l1"), recon)
    torch.testing.assert_close(anomaly_score(x, out, lam=0.0, distance="l1"), latent)


def test_ssim_score_by_hand() -> None:
    # Two flat images: SSIM reduces to the luminance term (2·a·b + C1) / (a² + b² + C1) at every pixel.
    a, b, c1 = 0.5, 0.25, 0.01**2
    x = torch.full((1, 2, 16, 16), a)
    fake = torch.full((1, 2, 16, 16), b)
    out = GeneratorOutput(fake, torch.tensor([[1.0, -1.0, 0.0]]).view(1, 3, 1, 1), torch.zeros(1, 3, 1, 1))
    r = 1 - (2 * a * b + c1) / (a * a + b * b + c1)
    recon, latent = score_components(x, out, distance="ssim", window_size=7)
    torch.testing.assert_close(recon, torch.tensor([r]))
    torch.testing.assert_close(latent, torch.tensor([2 / 3]))
    torch.testing.assert_close(anomaly_score(x, out, 0.9, "ssim", 7), torch.tensor([0.9 * r + 0.1 * 2 / 3]))


def test_ssim_score_uses_the_window_and_is_zero_for_perfect_reconstructions() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 1, 24, 24, generator=g)
    fake = (x + 0.2 * torch.rand(3, 1, 24, 24, generator=g)).clamp(0, 1)
    z = torch.zeros(3, 4, 1, 1)
    for k in (3, 11):
        recon, _ = score_components(x, GeneratorOutput(fake, z, z), "ssim", k)
        torch.testing.assert_close(recon, 1 - ssim_map(x, fake, k).flatten(1).mean(1))
    assert torch.all(anomaly_score(x, GeneratorOutput(x.clone(), z, z), 0.5, "ssim").abs() < 1e-6)


def test_score_is_float32_under_autocast() -> None:
    x, out = _tiny()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        half = GeneratorOutput(*(t.bfloat16() for t in out))
        assert anomaly_score(x, half, 0.5, "l1").dtype == torch.float32


def test_invalid_arguments() -> None:
    x, out = _tiny()
    with pytest.raises(ValueError, match="lam"):
        anomaly_score(x, out, lam=1.5)
    with pytest.raises(ValueError, match="distance"):
        anomaly_score(x, out, lam=0.5, distance="l2")
    with pytest.raises(ValueError, match="lam"):
        ScoreConfig(lam=-0.1)


@pytest.mark.parametrize("distance", ["l1", "ssim"])
def test_pixel_map_shape_and_peak(distance: str) -> None:
    x = torch.full((2, 3, 32, 32), 0.5)
    fake = x.clone()
    fake[1, :, 10:14, 20:24] = 0.0
    m = pixel_map(x, fake, distance, window_size=5)
    assert m.shape == (2, 1, 32, 32)
    assert m[0].abs().max() < 1e-6
    peak = divmod(int(m[1, 0].argmax()), 32)
    assert 8 <= peak[0] <= 15 and 18 <= peak[1] <= 25
    if distance == "l1":
        torch.testing.assert_close(m, (x - fake).abs().mean(1, keepdim=True))
    else:
        torch.testing.assert_close(m, 1 - ssim_map(x, fake, 5).mean(1, keepdim=True))


def _crops(n: int, g: torch.Generator) -> torch.Tensor:
    """Random 128² crops of the brick texture, area-resized to 64², in [0, 1]."""
    img = torch.from_numpy(brick()).float().div(255)
    ij = torch.randint(0, img.shape[0] - 128, (n, 2), generator=g).tolist()
    return F.interpolate(torch.stack([img[None, i : i + 128, j : j + 128] for i, j in ij]), size=64, mode="area")


def _auroc(good: torch.Tensor, bad: torch.Tensor) -> float:
    return (bad[:, None] > good[None, :]).float().mean().item()


@pytest.mark.slow
def test_short_training_ranks_dark_blobs_above_good_images() -> None:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    train, good, bad = _crops(256, g), _crops(10, g), _crops(10, g)
    yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    centre = torch.rand(10, 2, generator=g) * 32 + 16
    blob = ((yy - centre[:, 0, None, None]) ** 2 + (xx - centre[:, 1, None, None]) ** 2 < 10**2).float()[:, None]
    bad = bad * (1 - blob) + 0.05 * blob

    model = GANomaly(GANomalyConfig(image_size=64, latent_dim=32, ngf=16, ndf=16))
    step = GANomalyStep(GeneratorLoss(w_adv=1, w_con=50, w_enc=10, contextual="l1"), ScoreConfig(0.9, "l1"))
    opt_g = torch.optim.Adam(model.generator.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=2e-3, betas=(0.5, 0.999))
    for _ in range(100):
        logs = step.train_step(model, train[torch.randint(0, len(train), (8,), generator=g)], opt_g, opt_d)
    assert set(logs) == {"loss", "adv", "con", "enc", "d_loss", "d_reset"}
    assert all(torch.isfinite(torch.tensor(v)) for v in logs.values())

    s_good, s_bad = step.eval_step(model, good), step.eval_step(model, bad)
    assert s_good["score"].shape == (10,) and s_good["fake"].shape == good.shape
    assert _auroc(s_good["score"], s_bad["score"]) >= 0.9
    assert not model.training


def test_train_step_updates_both_nets_and_resets_a_collapsed_discriminator(monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    model = GANomaly(GANomalyConfig(image_size=64, latent_dim=8, ngf=4, ndf=4))
    step = GANomalyStep(GeneratorLoss(contextual="ssim"))
    opt_g = torch.optim.Adam(model.generator.parameters(), lr=1e-2, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=1e-2, betas=(0.5, 0.999))
    g0 = [p.detach().clone() for p in model.generator.parameters()]
    d0 = [p.detach().clone() for p in model.discriminator.parameters()]
    x = torch.rand(4, 1, 64, 64)
    logs = step.train_step(model, x, opt_g, opt_d)
    assert logs["d_reset"] == 0.0
    assert all(not torch.equal(a, b) for a, b in zip(g0, model.generator.parameters(), strict=True))
    assert all(not torch.equal(a, b) for a, b in zip(d0, model.discriminator.parameters(), strict=True))

    # A discriminator loss under 1e-5 triggers the DCGAN re-init of the discriminator only.
    monkeypatch.setattr(gan_step, "discriminator_loss", lambda r, f: (r.sum() + f.sum()) * 0 + 1e-6)
    with torch.no_grad():
        for p in model.discriminator.parameters():
            p.fill_(0.3)
    g1 = [p.detach().clone() for p in model.generator.parameters()]
    logs = step.train_step(model, x, opt_g, opt_d)
    assert logs["d_reset"] == 1.0
    first = model.discriminator.features[0]
    assert isinstance(first, torch.nn.Conv2d) and abs(first.weight.std().item() - 0.02) < 0.01
    assert not torch.equal(g1[0], next(model.generator.parameters()))

"""GANomaly networks: shapes, config checks, the [0, 1] contract, DCGAN init and presets."""

from typing import TypeVar

import pytest
import torch
from torch import nn

from aoikit.errors import AoikitError
from aoikit.models import create_model, model_config
from aoikit.models.ganomaly.loss import GeneratorLoss
from aoikit.models.ganomaly.network import (
    Discriminator,
    GANomaly,
    GANomalyConfig,
    GANomalyGenerator,
    GeneratorOutput,
    init_weights,
)
from aoikit.models.ganomaly.presets import PRESETS, get_preset

M = TypeVar("M", bound=nn.Module)


@pytest.mark.parametrize("size", [64, 128, 256])
def test_shapes(size: int) -> None:
    model = create_model("ganomaly", image_size=size, ngf=4, ndf=4)
    x = torch.rand(2, 1, size, size)
    out = model(x)
    assert isinstance(out, GeneratorOutput)
    assert out.fake.shape == x.shape
    assert out.latent_i.shape == out.latent_o.shape == (2, 100, 1, 1)
    assert isinstance(model, GANomaly)
    logit, feats = model.discriminator(x)
    assert logit.shape == (2,)
    assert feats.shape[0] == 2 and feats.shape[2:] == (4, 4)


def test_default_widths_and_registry_round_trip() -> None:
    model = create_model("ganomaly", image_size=64, latent_dim=32)
    assert isinstance(model, GANomaly)
    _, feats = model.discriminator(torch.rand(1, 1, 64, 64))
    assert feats.shape == (1, 64 * 8, 4, 4)  # ndf doubled three times: 32² -> 16² -> 8² -> 4²
    assert model_config(model) == {
        "image_size": 64,
        "channels": 1,
        "latent_dim": 32,
        "ngf": 64,
        "ndf": 64,
        "output": "sigmoid",
    }


@pytest.mark.parametrize("output", ["sigmoid", "tanh"])
def test_same_output_type_in_train_and_eval(output: str) -> None:
    model = GANomaly(GANomalyConfig(image_size=64, channels=3, latent_dim=8, ngf=4, ndf=4, output=output))
    x = torch.rand(2, 3, 64, 64)
    for train in (True, False):
        model.train(train)
        out = model(x)
        assert type(out) is GeneratorOutput
        assert out.fake.shape == x.shape
        assert out.fake.min() >= 0.0 and out.fake.max() <= 1.0  # tanh output is mapped back to [0, 1]


def test_tanh_maps_inputs_to_minus_one_one() -> None:
    cfg = GANomalyConfig(image_size=64, latent_dim=8, ngf=4, ndf=4, output="tanh")
    gen = GANomalyGenerator(cfg).eval()
    seen: list[torch.Tensor] = []
    gen.encoder1.register_forward_pre_hook(lambda _m, args: seen.append(args[0]))
    x = torch.rand(1, 1, 64, 64)
    gen(x)
    torch.testing.assert_close(seen[0], x * 2 - 1)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("image_size", 96, "image_size"),
        ("image_size", 32, "image_size"),
        ("output", "relu", "output"),
        ("ngf", 0, "ngf"),
    ],
)
def test_invalid_config(field: str, value: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        GANomalyConfig(**{field: value})  # type: ignore[arg-type]
    with pytest.raises(AoikitError, match=match):
        create_model("ganomaly", **{field: value})


def _modules(model: nn.Module, kind: type[M]) -> list[M]:
    return [m for m in model.modules() if isinstance(m, kind)]


def test_dcgan_init_reaches_nested_submodules() -> None:
    torch.manual_seed(0)
    model = GANomaly(GANomalyConfig(image_size=64, latent_dim=16, ngf=32, ndf=32))
    convs: list[nn.Conv2d | nn.ConvTranspose2d] = [*_modules(model, nn.Conv2d), *_modules(model, nn.ConvTranspose2d)]
    norms = _modules(model, nn.BatchNorm2d)
    assert len(convs) == 4 * 5 and len(norms) == 3 + 4 + 3 + 3  # encoder, decoder, encoder, discriminator
    for conv in convs:  # PyTorch's default std is 1/sqrt(3·fan_in): 0.14 at the first conv, 0.013 at fan-in 2048
        assert abs(conv.weight.std().item() - 0.02) < 0.003, conv
        assert abs(conv.weight.mean().item()) < 0.005
    for bn in norms:
        assert abs(bn.weight.mean().item() - 1.0) < 0.015
        assert 0.01 < bn.weight.std().item() < 0.03  # PyTorch's default is exactly 1 (std 0)
        assert torch.all(bn.bias.eq(0))


def test_init_weights_on_plain_modules() -> None:
    conv = nn.Conv2d(64, 64, 3, bias=True)
    assert conv.bias is not None
    nn.init.constant_(conv.bias, 3.0)
    init_weights(conv)
    assert torch.all(conv.bias.eq(0))
    assert abs(conv.weight.std().item() - 0.02) < 0.002
    linear = nn.Linear(4, 4)
    before = linear.weight.clone()
    init_weights(linear)  # other layers are left alone
    torch.testing.assert_close(linear.weight, before)


def test_discriminator_reset_redraws_weights() -> None:
    d = Discriminator(GANomalyConfig(image_size=64, ndf=8))
    with torch.no_grad():
        for p in d.parameters():
            p.fill_(0.5)
    d.reset_parameters()
    first = d.features[0]
    assert isinstance(first, nn.Conv2d)
    assert abs(first.weight.std().item() - 0.02) < 0.006


def test_presets_build_model_loss_and_score() -> None:
    assert set(PRESETS) == {"ganomaly-l1-l1", "ganomaly-ssim-l1", "ganomaly-ssim-ssim"}
    p = PRESETS["ganomaly-l1-l1"]
    assert (p.w_con, p.w_enc, p.w_adv, p.image_size, p.latent_dim) == (1.0, 1.0, 20.0, 64, 100)
    assert (p.contextual, p.score_distance, p.lam) == ("l1", "l1", 0.5)
    for name in ("ganomaly-ssim-l1", "ganomaly-ssim-ssim"):
        p = PRESETS[name]
        assert (p.w_con, p.w_enc, p.w_adv, p.image_size, p.contextual, p.lam) == (50.0, 1.0, 1.0, 128, "ssim", 0.8)
        assert p.window_size == 11
    assert PRESETS["ganomaly-ssim-l1"].score_config().distance == "l1"
    assert PRESETS["ganomaly-ssim-ssim"].score_config().distance == "ssim"

    p = get_preset("ganomaly-ssim-ssim", lam=0.5)
    assert p.lam == 0.5 and PRESETS["ganomaly-ssim-ssim"].lam == 0.8
    cfg = p.model_config(ngf=4, ndf=4)
    assert (cfg.image_size, cfg.latent_dim, cfg.ngf) == (128, 100, 4)
    loss = GeneratorLoss.from_config(p.loss_config())
    assert (loss.w_adv, loss.w_con, loss.w_enc, loss.contextual, loss.window_size) == (1.0, 50.0, 1.0, "ssim", 11)
    with pytest.raises(AoikitError, match="known presets"):
        get_preset("ganomaly")

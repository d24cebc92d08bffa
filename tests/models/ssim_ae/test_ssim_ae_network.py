"""The SSIM autoencoder follows Bergmann et al.'s layer table."""

import pytest
import torch
from torch import nn

from aoikit.errors import AoikitError
from aoikit.models import create_model
from aoikit.models.ssim_ae.network import SSIMAutoencoder

# (output side, channels, kernel, stride, padding) per layer, from the paper's table
ENCODER = [(64, 32, 4, 2, 1), (32, 32, 4, 2, 1), (32, 32, 3, 1, 1), (16, 64, 4, 2, 1), (16, 64, 3, 1, 1),
           (8, 128, 4, 2, 1), (8, 64, 3, 1, 1), (8, 32, 3, 1, 1), (1, None, 8, 1, 0)]  # fmt: skip
DECODER = [(8, 32, 8, 1, 0), (8, 64, 3, 1, 1), (8, 128, 3, 1, 1), (16, 64, 4, 2, 1), (16, 64, 3, 1, 1),
           (32, 32, 4, 2, 1), (32, 32, 3, 1, 1), (64, 32, 4, 2, 1), (128, 1, 4, 2, 1)]  # fmt: skip


@pytest.mark.parametrize("latent_dim", [100, 300, 500])
def test_shapes_through_create_model(latent_dim: int) -> None:
    model = create_model("ssim_ae", latent_dim=latent_dim)
    x = torch.rand(2, 1, 128, 128)
    z = model.encode(x)
    assert z.shape == (2, latent_dim, 1, 1)
    out = model(x)
    assert out.shape == x.shape
    assert out.min() >= 0 and out.max() <= 1
    assert torch.equal(model.decode(z), out)


def _layer_outputs(seq: nn.Sequential, x: torch.Tensor, kind: type[nn.Module]) -> list[tuple[nn.Module, torch.Size]]:
    found = []
    for layer in seq:
        x = layer(x)
        if isinstance(layer, kind):
            found.append((layer, x.shape[1:]))
    return found


def test_layer_table() -> None:
    model = SSIMAutoencoder()
    x = torch.rand(1, 1, 128, 128)
    enc = _layer_outputs(model.encoder, x, nn.Conv2d)
    dec = _layer_outputs(model.decoder, model.encode(x), nn.ConvTranspose2d)
    for (layer, shape), (side, ch, k, s, p) in zip(enc + dec, ENCODER + DECODER, strict=True):
        assert shape == (ch or 100, side, side)
        assert (layer.kernel_size, layer.stride, layer.padding) == ((k, k), (s, s), (p, p))


def test_activations() -> None:
    model = SSIMAutoencoder()
    enc, dec = list(model.encoder), list(model.decoder)
    # LeakyReLU(0.2) after every layer but the bottleneck (last encoder conv) and the output (sigmoid)
    assert isinstance(enc[-1], nn.Conv2d)
    assert all(isinstance(a, nn.LeakyReLU) and a.negative_slope == 0.2 for a in enc[1:-1:2] + dec[1:-2:2])
    assert isinstance(dec[-1], nn.Sigmoid)


def test_same_output_type_in_train_and_eval() -> None:
    model = SSIMAutoencoder()
    x = torch.rand(1, 1, 128, 128)
    train_out = model.train()(x)
    eval_out = model.eval()(x)
    assert type(train_out) is type(eval_out) is torch.Tensor
    assert torch.allclose(train_out, eval_out)


def test_other_channels_and_patch_sizes() -> None:
    model = create_model("ssim_ae", channels=3, patch_size=64, latent_dim=7)
    x = torch.rand(2, 3, 64, 64)
    assert model(x).shape == x.shape
    assert model.encode(x).shape == (2, 7, 1, 1)


@pytest.mark.parametrize("cfg", [{"latent_dim": 0}, {"channels": 0}, {"patch_size": 100}])
def test_invalid_config(cfg: dict[str, int]) -> None:
    with pytest.raises(AoikitError, match="invalid config"):
        create_model("ssim_ae", **cfg)


def test_he_init_keeps_signal_alive_through_the_network() -> None:
    """The encoder must pass the image through to the code (PyTorch's default init gives code std ~0.017)."""
    torch.manual_seed(0)
    model = create_model("ssim_ae", latent_dim=100)
    with torch.no_grad():
        codes = model.encode(torch.rand(4, 1, 128, 128))
    assert codes.std() > 0.1
    conv = model.encoder[0]
    assert isinstance(conv, torch.nn.Conv2d)
    expected = (2.0 / (1 + 0.2**2) / (1 * 4 * 4)) ** 0.5
    assert abs(conv.weight.std().item() - expected) < 0.25 * expected

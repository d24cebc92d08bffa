"""Fast inference paths give the eager generator's outputs and scores within 1e-4 (float32)."""

import pytest
import torch
from torch import nn

from aoikit.models.ganomaly.export import Generate, OnnxGenerator, fast_generator, fold_batchnorm, onnx_available
from aoikit.models.ganomaly.network import GANomaly, GANomalyConfig
from aoikit.models.ganomaly.score import anomaly_score


def model_with_trained_norms(output: str = "sigmoid") -> GANomaly:
    """A small GANomaly whose BatchNorm layers have non-trivial statistics and affine parameters."""
    torch.manual_seed(0)
    model = GANomaly(GANomalyConfig(image_size=64, latent_dim=16, ngf=8, ndf=8, output=output))
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 2.0)
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.uniform_(m.bias, -0.1, 0.1)
    return model.eval()


def assert_same_outputs(model: GANomaly, generate: Generate, x: torch.Tensor) -> None:
    with torch.inference_mode():
        eager, fast = model.generator(x), generate(x)
        for a, b in zip(eager, fast, strict=True):
            torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4)
        for distance in ("l1", "ssim"):
            torch.testing.assert_close(
                anomaly_score(x, fast, 0.8, distance), anomaly_score(x, eager, 0.8, distance), rtol=0, atol=1e-4
            )


@pytest.mark.parametrize("output", ["sigmoid", "tanh"])
def test_folded_batchnorm_matches_eager(output: str) -> None:
    model = model_with_trained_norms(output)
    folded = fold_batchnorm(model.generator)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.generator.modules())  # the original is untouched
    assert_same_outputs(model, folded, torch.rand(3, 1, 64, 64, generator=torch.Generator().manual_seed(1)))


def test_onnxruntime_matches_eager_for_any_batch_size() -> None:
    pytest.importorskip("onnxruntime")
    model = model_with_trained_norms()
    session = OnnxGenerator(model, threads=1)
    g = torch.Generator().manual_seed(2)
    for n in (1, 4):
        assert_same_outputs(model, session, torch.rand(n, 1, 64, 64, generator=g))
    assert model.generator.training is False


def test_fast_generator_is_used_when_available() -> None:
    model = model_with_trained_norms()
    generate = fast_generator(model)
    assert isinstance(generate, OnnxGenerator if onnx_available() else nn.Module)
    assert_same_outputs(model, generate, torch.rand(2, 1, 64, 64, generator=torch.Generator().manual_seed(3)))

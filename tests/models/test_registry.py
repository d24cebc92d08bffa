"""The model registry builds models by name and rejects what it does not know."""

from dataclasses import dataclass

import pytest
from torch import nn

from aoikit.errors import AoikitError
from aoikit.models import create_model, list_models, model_config, register_model, registry


@pytest.fixture(autouse=True)
def _isolated_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


@pytest.mark.parametrize("name", list_models())
def test_every_model_round_trips_its_config(name: str) -> None:
    model = create_model(name)
    rebuilt = create_model(name, **model_config(model))
    assert model_config(rebuilt) == model_config(model)
    assert [p.shape for p in rebuilt.parameters()] == [p.shape for p in model.parameters()]


def test_ssim_ae_is_registered() -> None:
    assert "ssim_ae" in list_models()
    assert list_models() == sorted(list_models())


def test_unknown_name_lists_known_models() -> None:
    with pytest.raises(AoikitError, match=r"unknown model 'nope'.*ssim_ae"):
        create_model("nope")


def test_unknown_config_key_is_an_error() -> None:
    with pytest.raises(AoikitError, match=r"unknown config key.*latnet_dim.*valid keys: channels, latent_dim"):
        create_model("ssim_ae", latnet_dim=300)


@dataclass
class TinyConfig:
    width: int = 2


def test_register_and_create() -> None:
    @register_model("tiny")
    class Tiny(nn.Module):
        config_cls = TinyConfig

        def __init__(self, config: TinyConfig) -> None:
            super().__init__()
            self.config = config
            self.layer = nn.Linear(config.width, 1)

    model = create_model("tiny", width=5)
    assert isinstance(model, Tiny)
    assert model_config(model) == {"width": 5}
    assert "tiny" in list_models()


def test_register_needs_a_dataclass_config() -> None:
    with pytest.raises(TypeError, match="config_cls"):

        @register_model("bad")
        class Bad(nn.Module):
            pass


def test_name_clash_is_an_error() -> None:
    class Other(nn.Module):
        config_cls = TinyConfig

    with pytest.raises(ValueError, match="already registered"):
        register_model("ssim_ae")(Other)


def test_model_config_needs_a_config() -> None:
    with pytest.raises(AoikitError, match="no dataclass `config`"):
        model_config(nn.Linear(1, 1))

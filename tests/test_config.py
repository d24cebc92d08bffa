"""Configuration precedence: defaults < YAML < command line."""

from pathlib import Path

import pytest

from aoikit.config import load_config, resolve_config, save_config
from aoikit.errors import AoikitError


def test_yaml_then_overrides(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "data: /x\ntrain: {epochs: 7, lr: 0.001}\ndetector: {model: ssim_ae, model_config: {latent_dim: 300}}\n"
    )
    config = resolve_config(path, {"train.epochs": 3, "train.seed": None, "detector.window": 15})
    assert config.data == "/x"
    assert config.train.epochs == 3 and config.train.lr == 0.001 and config.train.seed == 0
    assert config.detector.model_config == {"latent_dim": 300} and config.detector.window == 15


def test_the_default_model_needs_no_training_options_and_round_trips(tmp_path: Path) -> None:
    config = resolve_config(None, {"data": "/d", "detector.image_size": 320})
    assert config.detector.model == "patchcore" and config.detector.image_size == 320
    save_config(config, tmp_path / "r.yaml")
    assert load_config(tmp_path / "r.yaml") == config
    with pytest.raises(AoikitError, match=r"train\.epochs: not an option of the patchcore family"):
        resolve_config(None, {"train.epochs": 5})


def test_round_trip(tmp_path: Path) -> None:
    overrides = {"data": "/d", "detector.model": "ssim_ae", "train.epochs": 5, "detector.model_config.latent_dim": 500}
    config = resolve_config(None, overrides)
    save_config(config, tmp_path / "r.yaml")
    assert load_config(tmp_path / "r.yaml") == config


@pytest.mark.parametrize("text", ["trian: {epochs: 3}\n", "train: {epoch: 3}\n", "train: 3\n", "- a\n", "a: [\n"])
def test_bad_yaml_is_a_one_line_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(AoikitError) as info:
        resolve_config(path, {})
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_settings_are_checked_after_the_yaml_file_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("detector:\n  image_score: mean\n")
    with pytest.raises(AoikitError, match="image_score"):
        resolve_config(path, {})

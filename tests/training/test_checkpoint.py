"""Checkpoints rebuild the same model, survive interrupted writes and carry training state."""

import json
import math
from pathlib import Path

import pytest
import torch

from aoikit.errors import AoikitError
from aoikit.models import create_model
from aoikit.training import checkpoint
from aoikit.training.checkpoint import load_checkpoint, load_training_state, save_checkpoint


def _model(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return create_model("ssim_ae", latent_dim=8, patch_size=32)


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


def test_round_trip_gives_identical_outputs(tmp_path: Path) -> None:
    model = _model(0).eval()
    save_checkpoint(tmp_path / "ckpt", "ssim_ae", model, extra={"detector": {"window": 7}})
    loaded, meta = load_checkpoint(tmp_path / "ckpt", create_model)
    x = torch.rand(2, 1, 32, 32)
    assert torch.equal(loaded.eval()(x), model(x))
    assert meta == {"model": "ssim_ae", "model_config": {"latent_dim": 8, "channels": 1, "patch_size": 32},
                    "detector": {"window": 7}}  # fmt: skip
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["config.json", "model.safetensors"]


def test_overwrite_leaves_no_temporaries(tmp_path: Path) -> None:
    save_checkpoint(tmp_path / "ckpt", "ssim_ae", _model(0))
    save_checkpoint(tmp_path / "ckpt", "ssim_ae", _model(1))
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]
    assert _same_weights(load_checkpoint(tmp_path / "ckpt", create_model)[0], _model(1))


def test_extra_cannot_override_the_model_entries(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="extra must not contain"):
        save_checkpoint(tmp_path / "ckpt", "ssim_ae", _model(0), extra={"model": "other"})


def test_missing_and_corrupt_checkpoints(tmp_path: Path) -> None:
    with pytest.raises(AoikitError, match="no checkpoint here"):
        load_checkpoint(tmp_path / "absent", create_model)
    save_checkpoint(tmp_path / "ckpt", "ssim_ae", _model(0))
    weights = tmp_path / "ckpt" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(AoikitError, match=r"model\.safetensors: unreadable"):
        load_checkpoint(tmp_path / "ckpt", create_model)
    (tmp_path / "ckpt" / "config.json").write_text("{not json")
    with pytest.raises(AoikitError, match=r"config\.json: unreadable"):
        load_checkpoint(tmp_path / "ckpt", create_model)
    (tmp_path / "ckpt" / "config.json").write_text(json.dumps({"model": "nope", "model_config": {}}))
    with pytest.raises(AoikitError, match="unknown model 'nope'"):
        load_checkpoint(tmp_path / "ckpt", create_model)


def test_weights_that_do_not_fit(tmp_path: Path) -> None:
    save_checkpoint(tmp_path / "ckpt", "ssim_ae", _model(0))
    config = tmp_path / "ckpt" / "config.json"
    config.write_text(config.read_text().replace('"latent_dim": 8', '"latent_dim": 9'))
    with pytest.raises(AoikitError, match="do not fit"):
        load_checkpoint(tmp_path / "ckpt", create_model)


@pytest.mark.parametrize("fail_at", ["weights", "swap"])
def test_crash_during_save_keeps_the_old_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: str
) -> None:
    target = tmp_path / "ckpt"
    save_checkpoint(target, "ssim_ae", _model(0))

    def crash(*args: object) -> None:
        raise KeyboardInterrupt

    if fail_at == "weights":
        monkeypatch.setattr(checkpoint, "save_file", crash)
    else:  # after ckpt -> .ckpt.old, before .ckpt.tmp -> ckpt
        real_rename = Path.rename
        monkeypatch.setattr(Path, "rename", lambda p, t: crash() if p.name == ".ckpt.tmp" else real_rename(p, t))
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(target, "ssim_ae", _model(1))
    monkeypatch.undo()

    assert _same_weights(load_checkpoint(target, create_model)[0], _model(0))
    save_checkpoint(target, "ssim_ae", _model(2))  # cleans up and writes normally
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]
    assert _same_weights(load_checkpoint(target, create_model)[0], _model(2))


def test_leftovers_of_a_finished_swap(tmp_path: Path) -> None:
    """A crash after the new checkpoint is in place but before the old one is removed."""
    save_checkpoint(tmp_path / "old", "ssim_ae", _model(0))
    save_checkpoint(tmp_path / "ckpt", "ssim_ae", _model(1))
    (tmp_path / "old").rename(tmp_path / ".ckpt.old")
    (tmp_path / ".ckpt.tmp").mkdir()
    (tmp_path / ".ckpt.tmp" / "config.json").write_text("{")
    assert _same_weights(load_checkpoint(tmp_path / "ckpt", create_model)[0], _model(1))
    save_checkpoint(tmp_path / "ckpt", "ssim_ae", _model(2))
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]


def test_training_state_round_trip(tmp_path: Path) -> None:
    model = _model(0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.99))
    model(torch.rand(2, 1, 32, 32)).mean().backward()
    optimizer.step()
    generator = torch.Generator().manual_seed(3)
    trainer = {"epoch": 4, "best_val": math.inf, "history": [{"epoch": 1, "loss": 0.5}], "rng": generator.get_state()}
    save_checkpoint(tmp_path / "last", "ssim_ae", model, optimizer=optimizer, trainer_state=trainer)

    fresh = _model(1)
    fresh_opt = torch.optim.Adam(fresh.parameters(), lr=1e-3, betas=(0.5, 0.99))
    restored = load_training_state(tmp_path / "last", fresh, fresh_opt)
    assert _same_weights(fresh, model)
    assert restored["epoch"] == 4 and restored["best_val"] == math.inf and restored["history"] == trainer["history"]
    assert torch.equal(restored["rng"], trainer["rng"])
    saved, loaded = optimizer.state_dict(), fresh_opt.state_dict()
    assert loaded["param_groups"] == saved["param_groups"]
    for key, state in saved["state"].items():
        assert all(torch.equal(v, loaded["state"][key][k]) for k, v in state.items())


def test_training_state_needs_a_training_checkpoint(tmp_path: Path) -> None:
    model = _model(0)
    save_checkpoint(tmp_path / "best", "ssim_ae", model)
    with pytest.raises(AoikitError, match="model-only checkpoint"):
        load_training_state(tmp_path / "best", model, torch.optim.Adam(model.parameters()))

"""The training loop lowers the loss, writes its outputs and resumes exactly, even after kill -9."""

import csv
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from aoikit.errors import AoikitError
from aoikit.models import create_model, load_network
from aoikit.training import ReconstructionStep, TrainConfig, train

PATCH = 32
TINY = TrainConfig(epochs=2, batch_size=16, lr=1e-3, patches_per_epoch=64, threads=1)


def stripes(n: int, size: int, seed: int = 0) -> torch.Tensor:
    """(n, 1, size, size) smooth diagonal stripes in [0, 1] with random phase and small noise."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    phase = torch.rand(n, 1, 1, 1, generator=g) * 2 * math.pi
    images = 0.5 + 0.35 * torch.sin((xx + yy) * 2 * math.pi / 12 + phase)
    return (images + 0.05 * torch.randn(images.shape, generator=g)).clamp(0, 1)


def fresh_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return create_model("ssim_ae", latent_dim=16, patch_size=PATCH)


def weights(run: Path) -> dict[str, torch.Tensor]:
    return load_file(run / "last" / "model.safetensors")


TRAIN, VAL = stripes(8, 48), stripes(8, PATCH, seed=1)


@pytest.mark.parametrize(("loss", "amp"), [("dssim", True), ("l2", False)])
def test_two_epochs_lower_the_loss_and_write_outputs(tmp_path: Path, loss: str, amp: bool) -> None:
    model = fresh_model()
    before = ReconstructionStep(loss, amp=amp).eval_step(model, VAL)["loss"]
    cfg = replace(TINY, loss=loss, amp=amp)
    history = train(model, "ssim_ae", TRAIN, VAL, cfg, tmp_path, extra={"run": "test"})

    assert [row["epoch"] for row in history] == [1, 2]
    assert history[-1]["val_loss"] < before
    with (tmp_path / "history.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [float(r["val_loss"]) for r in rows] == [row["val_loss"] for row in history]
    assert (tmp_path / "loss.png").stat().st_size > 0
    best, meta = load_network(tmp_path / "best")
    assert meta["run"] == "test" and meta["model_config"]["latent_dim"] == 16
    assert meta["runtime"] == {
        "device": "cpu",
        "precision": "bf16" if amp else "fp32",
        "threads": 1,
        "auto_threads": False,
    }
    best_val = ReconstructionStep(loss, amp=amp).eval_step(best, VAL)["loss"]
    assert best_val == pytest.approx(min(row["val_loss"] for row in history), rel=1e-3)
    assert (tmp_path / "last" / "state.json").is_file()
    assert not (tmp_path / "best" / "state.json").exists()


def test_resume_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    straight = train(fresh_model(), "ssim_ae", TRAIN, VAL, TINY, tmp_path / "a")
    train(fresh_model(), "ssim_ae", TRAIN, VAL, replace(TINY, epochs=1), tmp_path / "b")
    resumed = train(fresh_model(), "ssim_ae", TRAIN, VAL, TINY, tmp_path / "b", resume=True)

    drop_time = [{k: v for k, v in row.items() if k != "seconds"} for row in straight]
    assert [{k: v for k, v in row.items() if k != "seconds"} for row in resumed] == drop_time
    a, b = weights(tmp_path / "a"), weights(tmp_path / "b")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_without_a_checkpoint_starts_fresh(tmp_path: Path) -> None:
    history = train(fresh_model(), "ssim_ae", TRAIN, VAL, replace(TINY, epochs=1), tmp_path, resume=True)
    assert len(history) == 1


def test_patience_stops_early(tmp_path: Path) -> None:
    cfg = replace(TINY, epochs=5, lr=0.0, weight_decay=0.0, patience=1, patches_per_epoch=16)
    history = train(fresh_model(), "ssim_ae", TRAIN, VAL, cfg, tmp_path)
    assert len(history) == 2  # the weights never change, so epoch 2 does not improve on epoch 1


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(AoikitError, match="sides >= 32"):
        train(fresh_model(), "ssim_ae", stripes(2, 24), VAL, TINY, tmp_path)
    with pytest.raises(AoikitError, match="non-empty"):
        train(fresh_model(), "ssim_ae", TRAIN, VAL[:0], TINY, tmp_path)
    with pytest.raises(AoikitError, match="unknown loss"):
        train(fresh_model(), "ssim_ae", TRAIN, VAL, replace(TINY, loss="l1"), tmp_path)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_an_absent_gpu_fails_before_training(tmp_path: Path) -> None:
    with pytest.raises(AoikitError, match="no CUDA device"):
        train(fresh_model(), "ssim_ae", TRAIN, VAL, replace(TINY, device="cuda"), tmp_path)
    assert not tmp_path.joinpath("last").exists()


CHILD = """
import sys, torch
from pathlib import Path
from aoikit.models import create_model
from aoikit.training import TrainConfig, train
sys.path.insert(0, {tests!r})
from test_loop import TRAIN, VAL, TINY, fresh_model
from dataclasses import replace
train(fresh_model(), "ssim_ae", TRAIN, VAL, replace(TINY, epochs=50), Path({out!r}))
"""


@pytest.mark.slow
def test_kill_9_then_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    code = CHILD.format(tests=str(Path(__file__).parent), out=str(out))
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (out / "last").exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert child.poll() is None, "the training process ended before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()

    cfg = replace(TINY, epochs=4)
    resumed = train(fresh_model(), "ssim_ae", TRAIN, VAL, cfg, out, resume=True)
    straight = train(fresh_model(), "ssim_ae", TRAIN, VAL, cfg, tmp_path / "straight")
    assert [row["val_loss"] for row in resumed] == [row["val_loss"] for row in straight]
    a, b = weights(out), weights(tmp_path / "straight")
    assert all(torch.equal(a[k], b[k]) for k in a)

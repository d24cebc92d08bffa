"""The GANomaly loop trains, writes its outputs, keeps the best epoch and resumes exactly."""

import csv
import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from aoikit.errors import AoikitError
from aoikit.models.ganomaly.loop import GANTrainConfig, train_gan, validation_score
from aoikit.models.ganomaly.loss import GeneratorLoss
from aoikit.models.ganomaly.network import GANomaly, GANomalyConfig
from aoikit.models.ganomaly.score import ScoreConfig
from aoikit.models.ganomaly.step import GANomalyStep
from aoikit.training import load_checkpoint

TINY = GANTrainConfig(epochs=2, batch_size=4, lr=2e-3, threads=1)
STEP = GANomalyStep(GeneratorLoss(w_con=50, contextual="ssim"), ScoreConfig(0.8, "ssim"))
G = torch.Generator().manual_seed(0)
TRAIN, VAL = torch.rand(10, 1, 64, 64, generator=G), torch.rand(4, 1, 64, 64, generator=G)


def fresh_model() -> GANomaly:
    torch.manual_seed(0)
    return GANomaly(GANomalyConfig(image_size=64, latent_dim=16, ngf=8, ndf=8))


@pytest.mark.parametrize("amp", [False, True])
def test_two_epochs_write_finite_history_and_checkpoints(tmp_path: Path, amp: bool) -> None:
    cfg = replace(TINY, amp=amp)
    history = train_gan(fresh_model(), "tiny", TRAIN, VAL, STEP, cfg, tmp_path, extra={"run": "test"})

    assert [row["epoch"] for row in history] == [1, 2]
    assert all(math.isfinite(v) for row in history for v in row.values())
    assert [row["lr"] for row in history] == [2e-3, 1e-3]  # linear decay: lr · (1 − epoch / epochs)
    with (tmp_path / "history.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert {"g_loss", "d_loss", "val_score", "d_resets"} <= set(rows[0])
    assert [float(r["val_score"]) for r in rows] == [row["val_score"] for row in history]
    assert (tmp_path / "loss.png").stat().st_size > 0
    best, meta = load_checkpoint(tmp_path / "best")
    assert meta["preset"] == "tiny" and meta["run"] == "test" and isinstance(best, GANomaly)
    assert meta["runtime"] == {
        "device": "cpu",
        "precision": "bf16" if amp else "fp32",
        "threads": 1,
        "auto_threads": False,
    }
    assert validation_score(STEP, best, VAL, 4) == pytest.approx(min(r["val_score"] for r in history), rel=1e-5)
    assert (tmp_path / "last" / "state.json").is_file()


def test_resume_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    straight = train_gan(fresh_model(), "tiny", TRAIN, VAL, STEP, TINY, tmp_path / "a")
    train_gan(fresh_model(), "tiny", TRAIN, VAL, STEP, replace(TINY, epochs=1), tmp_path / "b")
    # The model given to a resumed run is overwritten: its initial weights must not matter.
    other_init = GANomaly(GANomalyConfig(image_size=64, latent_dim=16, ngf=8, ndf=8))
    resumed = train_gan(other_init, "tiny", TRAIN, VAL, STEP, TINY, tmp_path / "b", resume=True)

    assert [r["val_score"] for r in resumed] == [r["val_score"] for r in straight]
    for name in ("model", "state"):  # the weights, and both optimisers' moments
        a, b = (load_file(tmp_path / run / "last" / f"{name}.safetensors") for run in ("a", "b"))
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_rejects_images_of_the_wrong_size(tmp_path: Path) -> None:
    with pytest.raises(AoikitError, match="S = 64"):
        train_gan(fresh_model(), "tiny", torch.rand(4, 1, 32, 32), VAL, STEP, TINY, tmp_path)

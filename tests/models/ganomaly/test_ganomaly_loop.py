"""The GANomaly loop trains, writes its outputs, keeps the best epoch and resumes exactly."""

import csv
import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from aoikit.config import config_from_values, load_config, save_config
from aoikit.errors import AoikitError
from aoikit.models import load_network
from aoikit.models.ganomaly.loop import GANTrainConfig, train_gan, validation_score
from aoikit.models.ganomaly.loss import GeneratorLoss
from aoikit.models.ganomaly.network import GANomaly, GANomalyConfig
from aoikit.models.ganomaly.presets import Schedule
from aoikit.models.ganomaly.score import ScoreConfig
from aoikit.models.ganomaly.step import GANomalyStep

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
    best, meta = load_network(tmp_path / "best")
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


def test_the_seed_schedule_is_the_studys_and_values_set_beside_it_win(tmp_path: Path) -> None:
    assert GANTrainConfig(schedule="seed").plan == Schedule(epochs=200, batch_size=1, lr=1e-4, beta1=0.5, lr_decay=True)
    assert GANTrainConfig().plan == Schedule(epochs=15, batch_size=16, lr=1e-4, beta1=0.5, lr_decay=True)
    short = GANTrainConfig(schedule="seed", epochs=2, lr=2e-4)
    assert (short.plan.epochs, short.plan.lr, short.plan.batch_size) == (2, 2e-4, 1)
    assert replace(GANTrainConfig(), schedule="seed").plan.batch_size == 1
    run = config_from_values({"detector": {"model": "ganomaly-l1-l1"}, "train": {"schedule": "seed", "epochs": 3}})
    assert run.train.plan == replace(GANTrainConfig(schedule="seed").plan, epochs=3)
    save_config(run, tmp_path / "run.yaml")
    assert load_config(tmp_path / "run.yaml").train.plan == run.train.plan
    with pytest.raises(AoikitError, match="unknown schedule 'paper'; known schedules: default, seed"):
        GANTrainConfig(schedule="paper")
    with pytest.raises(AoikitError, match="batch_size must be positive"):
        GANTrainConfig(schedule="seed", batch_size=0)


def test_a_two_epoch_run_on_the_seed_schedule_trains_one_image_per_step(tmp_path: Path) -> None:
    cfg = GANTrainConfig(schedule="seed", epochs=2, threads=1)
    model = fresh_model()
    before = model.generator.encoder1.features[0].weight.detach().clone()
    history = train_gan(model, "tiny", TRAIN[:6], VAL, STEP, cfg, tmp_path)

    assert [row["lr"] for row in history] == [1e-4, 5e-5]
    assert all(math.isfinite(v) for row in history for v in row.values())
    batch_norms = [m for m in model.generator.encoder1.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert batch_norms and all(int(m.num_batches_tracked) == 12 for m in batch_norms)  # 2 epochs × 6 steps of 1
    assert not torch.equal(model.generator.encoder1.features[0].weight, before)


def test_the_epoch_hook_sees_each_saved_epoch_in_eval_mode_and_can_stop_the_run(tmp_path: Path) -> None:
    seen: list[tuple[int, bool]] = []

    def hook(model: GANomaly, epoch: int) -> None:
        seen.append((epoch, model.training))
        if epoch == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_gan(fresh_model(), "tiny", TRAIN, VAL, STEP, TINY, tmp_path, on_epoch=hook)
    assert seen == [(1, False)]
    assert (tmp_path / "last" / "state.json").is_file()

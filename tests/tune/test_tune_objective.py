"""A trial trains a tiny preset, reports a validation AUROC per epoch and stops when the pruner says so."""

from pathlib import Path
from typing import Any

import optuna
import pytest

from aoikit.config import resolve_config
from aoikit.errors import AoikitError
from aoikit.models.ganomaly.detector import GANomalyDetectorConfig
from aoikit.models.ganomaly.loop import GANTrainConfig
from aoikit.models.ganomaly.space import COARSE
from aoikit.tune.data import TuneData, load_tune_data
from aoikit.tune.objective import Objective, tuned_settings

GRID = COARSE.capped(max_size=64, max_latent=64)
TRAIN = GANTrainConfig(epochs=2, batch_size=4, threads=1, device="cpu", amp=False)


class FirstChoiceTrial:
    """Stands in for an Optuna trial: takes the first choice of each grid and records what is reported."""

    def __init__(self, prune: bool) -> None:
        self.number, self.prune, self.reports = 0, prune, []

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        return choices[0]

    def report(self, value: float, step: int) -> None:
        self.reports.append((step, value))

    def should_prune(self) -> bool:
        return self.prune


@pytest.fixture(scope="module")
def data(tiny_dataset: Path) -> TuneData:
    return load_tune_data(tiny_dataset, None)


@pytest.mark.parametrize("prune", [False, True])
def test_a_trial_reports_each_epoch_and_is_pruned_when_told(data: TuneData, tmp_path: Path, prune: bool) -> None:
    objective = Objective(data, GANomalyDetectorConfig("ganomaly-l1-l1"), TRAIN, tmp_path, width=4)
    trial = FirstChoiceTrial(prune)
    if prune:
        with pytest.raises(optuna.TrialPruned):
            objective(trial, GRID)  # type: ignore[arg-type]
        assert [step for step, _ in trial.reports] == [1]
    else:
        assert 0.0 <= objective(trial, GRID) <= 1.0  # type: ignore[arg-type]
        assert [step for step, _ in trial.reports] == [1, 2]
    assert all(0.0 <= value <= 1.0 for _, value in trial.reports)
    assert list(tmp_path.iterdir()) == []  # each trial's run folder goes when it ends


def test_only_ganomaly_presets_are_tuned() -> None:
    detector, train = tuned_settings(resolve_config(None, {"detector.model": "ganomaly-ssim-l1", "train.epochs": 3}))
    assert detector.model == "ganomaly-ssim-l1" and train.plan.epochs == 3
    with pytest.raises(AoikitError, match=r"tune searches the models ganomaly-l1-l1, .*; got .ssim_ae."):
        tuned_settings(resolve_config(None, {"detector.model": "ssim_ae"}))

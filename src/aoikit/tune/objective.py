"""One tuning trial: train a model of a tunable family (:attr:`aoikit.detector.Detector.tuning`) at a point of its
grid and score it on the validation split."""

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import optuna
from torch import nn

from aoikit.config import RunConfig
from aoikit.detector import Detector, DetectorConfig
from aoikit.metrics import image_auroc
from aoikit.models.families import tunable_family
from aoikit.models.protocol import SearchGrid, Tuning
from aoikit.tune.data import TuneData

MACHINE = ("threads", "device", "amp")
"""Training options that may differ between the workers of one study: where and how fast a trial runs."""


def tuned_settings(run: RunConfig) -> tuple[DetectorConfig, Any]:
    """The detector and training settings of a run configuration of a tunable model.

    Raises:
        AoikitError: the configuration names a model of a family tune cannot search.
    """
    tunable_family(run.detector.model)
    return run.detector, run.train


def suggest(trial: optuna.Trial, grid: SearchGrid) -> dict[str, Any]:
    """A point of ``grid``, each value drawn by the study's sampler."""
    return {name: trial.suggest_categorical(name, choices) for name, choices in grid.choices().items()}


@dataclass
class Objective:
    """Validation image AUROC of a model trained at the trial's point of its family's grid (higher is better).

    ``detector`` holds what every trial shares (the model, part preprocessing, intensity matching); the grid
    point replaces what the family tunes (for GANomaly: loss weights, sizes, window and λ). Each epoch reports the
    AUROC of the raw scores of the model so far, so the study's pruner can stop a hopeless trial early. The final
    value is that of the calibrated detector on the best epoch. Runs train in a temporary folder under ``work``,
    removed after the trial. ``width`` sets the networks' base width (None: the preset's).
    """

    data: TuneData
    detector: DetectorConfig
    train: Any
    work: Path
    width: int | None = None

    @property
    def model(self) -> str:
        """The model tuned."""
        return self.detector.model

    @property
    def family(self) -> type[Detector]:
        """The family of the model tuned."""
        return tunable_family(self.model)

    @property
    def tuning(self) -> Tuning:
        """How the family is searched."""
        tuning = self.family.tuning
        assert tuning is not None
        return tuning

    def settings(self) -> dict[str, Any]:
        """What every trial shares: the detector and training settings (less :data:`MACHINE`) and the width."""
        train = {name: value for name, value in asdict(self.train).items() if name not in MACHINE}
        return {"detector": asdict(self.detector), "train": train, "width": self.width}

    def __call__(self, trial: optuna.Trial, grid: SearchGrid) -> float:
        config = self.tuning.at_point(self.detector, suggest(trial, grid), self.width)
        detector = self.family(config, self.train)
        detector.on_epoch = lambda network, epoch: self._report(trial, detector, network, epoch)
        self.work.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.work, prefix=f"trial{trial.number}-") as folder:
            detector.fit(self.data.train, self.data.good, Path(folder))
        return image_auroc(detector.score(self.data.validation), self.data.labels)

    def _report(self, trial: optuna.Trial, detector: Detector, network: nn.Module, epoch: int) -> None:
        """Report the epoch's validation AUROC; stop the trial when the pruner says so."""
        scores = self.tuning.epoch_scores(detector, network, self.data.validation)
        trial.report(image_auroc(scores, self.data.labels), epoch)
        if trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {epoch}")

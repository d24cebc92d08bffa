"""One tuning trial: train a GANomaly preset at a point of the grid and score it on the validation split."""

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import optuna

from aoikit.config import RunConfig
from aoikit.errors import AoikitError
from aoikit.metrics import image_auroc
from aoikit.models.ganomaly.detector import GANomalyDetector, GANomalyDetectorConfig, gan_scores
from aoikit.models.ganomaly.loop import GANTrainConfig
from aoikit.models.ganomaly.network import GANomaly
from aoikit.models.ganomaly.presets import PRESETS
from aoikit.tune.data import TuneData
from aoikit.tune.space import Grid, detector_config

MACHINE = ("threads", "device", "amp")
"""Training options that may differ between the workers of one study: where and how fast a trial runs."""


def ganomaly_settings(run: RunConfig) -> tuple[GANomalyDetectorConfig, GANTrainConfig]:
    """The detector and training settings of a run configuration of a GANomaly preset.

    Raises:
        AoikitError: the configuration names a model of another family.
    """
    if not isinstance(run.detector, GANomalyDetectorConfig):
        raise AoikitError(f"tune searches GANomaly presets ({', '.join(PRESETS)}); got {run.detector.model!r}")
    return run.detector, run.train


def suggest(trial: optuna.Trial, grid: Grid) -> dict[str, Any]:
    """A point of ``grid``, each value drawn by the study's sampler."""
    return {name: trial.suggest_categorical(name, choices) for name, choices in grid.choices().items()}


@dataclass
class Objective:
    """Validation image AUROC of a GANomaly preset trained at the trial's point of a grid (higher is better).

    ``detector`` holds what every trial shares (the preset, part preprocessing, intensity matching); the grid
    point replaces its loss weights, sizes, window and λ. Each epoch reports the AUROC of the raw score A of the
    model so far, so the study's pruner can stop a hopeless trial early. The final value is that of the
    calibrated detector on the best epoch. Runs train in a temporary folder under ``work``, removed after the
    trial. ``width`` sets the networks' base width (None: the preset's).
    """

    data: TuneData
    detector: GANomalyDetectorConfig
    train: GANTrainConfig
    work: Path
    width: int | None = None

    @property
    def model(self) -> str:
        """The preset tuned."""
        return self.detector.model

    def settings(self) -> dict[str, Any]:
        """What every trial shares: the detector and training settings (less :data:`MACHINE`) and the width."""
        train = {name: value for name, value in asdict(self.train).items() if name not in MACHINE}
        return {"detector": asdict(self.detector), "train": train, "width": self.width}

    def __call__(self, trial: optuna.Trial, grid: Grid) -> float:
        detector = GANomalyDetector(detector_config(self.detector, suggest(trial, grid), self.width), self.train)
        detector.on_epoch = lambda network, epoch: self._report(trial, detector, network, epoch)
        self.work.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.work, prefix=f"trial{trial.number}-") as folder:
            detector.fit(self.data.train, self.data.good, Path(folder))
        return image_auroc(detector.score(self.data.validation), self.data.labels)

    def _report(self, trial: optuna.Trial, detector: GANomalyDetector, network: GANomaly, epoch: int) -> None:
        """Report the epoch's validation AUROC; stop the trial when the pruner says so."""
        x = detector.prepare(self.data.validation).to(next(network.parameters()).device)
        scores = gan_scores(network.generator, x, detector.score_config_)
        trial.report(image_auroc(scores, self.data.labels), epoch)
        if trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {epoch}")

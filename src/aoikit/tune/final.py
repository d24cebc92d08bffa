"""The chosen trial of a study, trained once more and evaluated once on the test split.

The test split is the dataset's test images less the defect images the search validated on: its good images and
the other parts' defect images were never seen by any trial.
"""

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from optuna.trial import FrozenTrial

from aoikit.config import RunConfig, config_from_values
from aoikit.data.arrays import load_images
from aoikit.data.dataset import Sample
from aoikit.data.open import open_dataset
from aoikit.errors import AoikitError
from aoikit.metrics import image_auroc
from aoikit.models.families import tunable_family
from aoikit.models.protocol import Comparable
from aoikit.pipeline import train_run
from aoikit.sweep.compare import comparable
from aoikit.tune.data import load_tune_data, split_by_part
from aoikit.tune.objective import tuned_settings
from aoikit.tune.study import SETTINGS_ATTR, STAGES, completed, stage_name


def chosen_trial(storage: optuna.storages.BaseStorage, study: str) -> tuple[dict[str, Any], FrozenTrial]:
    """The settings and best completed trial (highest validation AUROC) over the stages of ``study``.

    Raises:
        AoikitError: no stage of ``study`` has a completed trial with recorded settings.
    """
    best: tuple[dict[str, Any], FrozenTrial] | None = None
    for name in (stage_name(study, s) for s in STAGES):
        trials = completed(storage, name)
        if not trials:
            continue
        settings = optuna.load_study(study_name=name, storage=storage).user_attrs.get(SETTINGS_ATTR)
        top = max(trials, key=lambda t: t.value or 0.0)
        if settings is not None and (best is None or (best[1].value or 0.0) < (top.value or 0.0)):
            best = settings, top
    if best is None:
        raise AoikitError(f"study {study!r}: no completed trial with recorded settings in this storage")
    return best


def tuned_config(
    settings: dict[str, Any], params: dict[str, Any], data: Path, category: str | None, machine: dict[str, Any]
) -> RunConfig:
    """The run configuration of a trial: the study's settings at the trial's point, ``machine`` (threads, device,
    amp; None: keep) for where it trains."""
    values = {"detector": settings["detector"], "train": settings["train"], "val_fraction": settings["val_fraction"]}
    run = config_from_values(values, "the study's settings")
    detector, train = tuned_settings(run)
    tuning = tunable_family(detector.model).tuning
    assert tuning is not None
    run.detector = tuning.at_point(detector, params, settings["width"])
    run.train = replace(train, **{k: v for k, v in machine.items() if v is not None})
    run.data, run.category = str(data), category
    return run


def unseen_test(data: Path, category: str | None, defect_fraction: float, seed: int) -> list[Sample]:
    """The test images less the defect images of the parts the search validated on (same draw as the search)."""
    test = open_dataset(data, category).test
    seen = set(split_by_part([s for s in test if s.label == 1], defect_fraction, seed))
    return [s for s in test if s not in seen]


def evaluate_chosen(
    storage: optuna.storages.BaseStorage,
    study: str,
    data: Path,
    out: Path,
    category: str | None = None,
    machine: dict[str, Any] | None = None,
    frames: int = 200,
) -> dict[str, Any]:
    """Train the chosen trial of ``study`` into run folder ``out`` and evaluate it once on the test split.

    Returns the trial, its parameters, its validation AUROC in the search and after retraining, the test split's
    image AUROC beside the family's baselines with the per-frame latency
    (:meth:`aoikit.models.protocol.Comparable.table_row`), and each test image's file, label and raw score.

    Raises:
        AoikitError: ``out`` holds a run already, or the study has no completed trial.
    """
    if (out / "config.yaml").exists() or (out / "tuned.json").exists():
        raise AoikitError(f"{out}: holds a run already; choose another --out or remove it")
    settings, trial = chosen_trial(storage, study)
    run = tuned_config(settings, trial.params, data, category, machine or {})
    seed = run.train.seed
    detector = train_run(run, out)
    validation = load_tune_data(data, category, run.val_fraction, settings["defect_fraction"], seed)
    samples = unseen_test(data, category, settings["defect_fraction"], seed)
    return {
        "study": study,
        "trial": trial.number,
        "params": trial.params,
        "epochs": len(detector.history_),
        "validation_auroc_search": trial.value,
        "validation_auroc": image_auroc(detector.score(validation.validation), validation.labels),
        **table3_row(comparable(detector), run.detector.model, samples, seed, frames),
    }


def table3_row(detector: Comparable, name: str, samples: list[Sample], seed: int, frames: int = 200) -> dict[str, Any]:
    """A Table 3 row of ``detector`` on the test images ``samples``
    (:meth:`aoikit.models.protocol.Comparable.table_row`) with their count, defect count, files, labels and raw
    scores.

    Raises:
        AoikitError: ``samples`` lack good or defective images.
    """
    labels = np.array([s.label for s in samples])
    if len(set(labels.tolist())) < 2:
        raise AoikitError("the test split needs good and defective images for AUROC")
    images = load_images(samples, desc="reading test images")
    scores = detector.raw_scores(images)
    return {
        "test_images": len(samples),
        "test_defects": int(labels.sum()),
        **detector.table_row(name, images, labels, seed, frames, scores),
        "test_files": [str(sample.path) for sample in samples],
        "test_labels": labels.tolist(),
        "test_scores": scores.tolist(),
    }

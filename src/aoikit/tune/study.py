"""The three search stages of a study as Optuna studies in one storage: ``NAME-stage1``, ``-stage2``, ``-stage3``.

Stage 1 draws from the whole grid; stage 2 around the top k trials of stage 1; stage 3 from a finer grid around
the best trial of stages 1 and 2 (the family's :class:`aoikit.models.protocol.Tuning`). Any number of workers may
run one stage of one study at once: the storage hands out trial numbers, and each trial's draws depend on its
number.
"""

import json
import time
from dataclasses import dataclass
from typing import Any

import optuna
import sqlalchemy.exc
from optuna.trial import FrozenTrial, TrialState

from aoikit.config import option_differences
from aoikit.errors import AoikitError
from aoikit.models.protocol import SearchGrid, Tuning
from aoikit.tune.objective import Objective
from aoikit.tune.sampler import StageSampler

STAGES = (1, 2, 3)
MODEL_ATTR = "model"
"""Study attribute naming the model a study tunes."""
SETTINGS_ATTR = "settings"
"""Study attribute holding what every trial shares (:meth:`aoikit.tune.objective.Objective.settings`)."""


@dataclass(frozen=True)
class StageOptions:
    """Where a stage's study lives (``storage``: see :func:`open_storage`) and how it searches.

    ``max_size`` and ``max_latent`` leave larger image and latent sizes out of the grid (None: keep all).
    ``warmup_trials`` trials complete before the median pruner stops any; it then stops a trial whose epoch's
    value falls below the median of earlier trials at that epoch, from the second epoch on.
    """

    study: str
    storage: optuna.storages.BaseStorage
    stage: int
    trials: int
    top_k: int = 5
    seed: int = 0
    warmup_trials: int = 5
    max_size: int | None = None
    max_latent: int | None = None

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise AoikitError(f"--stage must be 1, 2 or 3, got {self.stage}")
        if self.trials < 1 or self.top_k < 1:
            raise AoikitError(f"--trials and --top-k must be positive, got {self.trials} and {self.top_k}")


def open_storage(url: str, tries: int = 5) -> optuna.storages.RDBStorage:
    """The Optuna storage at database ``url``, its tables created when new.

    Workers started together on a new database race to create the tables; the loser's attempt fails and is
    retried, then finds the winner's tables.

    Raises:
        AoikitError: ``url`` is no database URL, or the database cannot be opened.
    """
    for attempt in range(tries):
        try:
            return optuna.storages.RDBStorage(url)
        except sqlalchemy.exc.ArgumentError as exc:
            raise AoikitError(f"--storage {url!r}: not a database URL ({exc})") from None
        except sqlalchemy.exc.SQLAlchemyError as exc:
            if not _lost_race(exc):
                raise AoikitError(f"--storage: cannot open the database ({exc.__class__.__name__}: {exc})") from None
            time.sleep(0.2 * (attempt + 1))
    raise AoikitError(f"--storage: the tables of {url} could not be created in {tries} tries")


def _lost_race(exc: sqlalchemy.exc.SQLAlchemyError) -> bool:
    """Whether ``exc`` says another worker created the same table first (PostgreSQL: a duplicate; SQLite: "table
    ... already exists")."""
    duplicate = isinstance(exc, sqlalchemy.exc.IntegrityError | sqlalchemy.exc.ProgrammingError)
    return duplicate or (isinstance(exc, sqlalchemy.exc.OperationalError) and "already exists" in str(exc.orig))


def stage_name(study: str, stage: int) -> str:
    """The Optuna study name of one stage."""
    return f"{study}-stage{stage}"


def completed(storage: optuna.storages.BaseStorage, name: str) -> list[FrozenTrial]:
    """The completed trials of study ``name``; none when the study does not exist."""
    try:
        study = optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        return []
    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def check_settings(storage: optuna.storages.BaseStorage, name: str, settings: dict[str, Any]) -> None:
    """Refuse to add trials to, or build on, study ``name`` when its trials shared other settings.

    Raises:
        AoikitError: the study exists with another model or other settings.
    """
    try:
        attrs = optuna.load_study(study_name=name, storage=storage).user_attrs
    except KeyError:
        return
    model = settings["detector"]["model"]
    if attrs.get(MODEL_ATTR, model) != model:
        raise AoikitError(f"study {name!r} tunes {attrs[MODEL_ATTR]}, not {model}; choose another --study")
    stored = attrs.get(SETTINGS_ATTR, settings)
    differ = option_differences(stored, settings)
    if differ:
        raise AoikitError(
            f"study {name!r} was searched with other settings ({', '.join(differ)}); choose another --study"
        )


def stage_search(options: StageOptions, settings: dict[str, Any], tuning: Tuning) -> tuple[StageSampler, SearchGrid]:
    """The sampler and (capped) grid of ``tuning`` for ``options.stage``; later stages need completed trials of the
    earlier ones, searched with the same ``settings``.

    Raises:
        AoikitError: an earlier stage has no completed trial, or had other settings.
    """
    coarse = tuning.coarse.capped(options.max_size, options.max_latent)
    if options.stage == 1:
        return StageSampler(seed=options.seed), coarse
    earlier = [stage_name(options.study, s) for s in STAGES if s < options.stage]
    for name in earlier:
        check_settings(options.storage, name, settings)
    trials = [t for name in earlier for t in completed(options.storage, name)]
    trials.sort(key=lambda t: t.value or 0.0, reverse=True)
    if not trials:
        raise AoikitError(f"stage {options.stage} needs completed trials of {' or '.join(earlier)}; run those first")
    if options.stage == 2:
        return StageSampler([t.params for t in trials[: options.top_k]], 1, options.seed), coarse
    return StageSampler([trials[0].params], 1, options.seed), tuning.fine.capped(options.max_size, options.max_latent)


def run_stage(options: StageOptions, objective: Objective, split: dict[str, Any]) -> optuna.Study:
    """Add ``options.trials`` trials of ``objective`` to the stage's study (created when new); the study records
    the objective's settings with ``split`` (how the validation split was drawn) for :mod:`aoikit.tune.final`.

    Raises:
        AoikitError: the study, or an earlier stage, tunes another model or had other settings.
    """
    settings = json.loads(json.dumps({**objective.settings(), **split}))
    name = stage_name(options.study, options.stage)
    check_settings(options.storage, name, settings)
    sampler, grid = stage_search(options, settings, objective.tuning)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=options.warmup_trials, n_warmup_steps=1)
    study = optuna.create_study(
        storage=options.storage,
        study_name=name,
        direction="maximize",
        sampler=sampler,
        pruner=pruner,
        load_if_exists=True,
    )
    study.set_user_attr(MODEL_ATTR, objective.model)
    study.set_user_attr(SETTINGS_ATTR, settings)
    study.optimize(lambda trial: objective(trial, grid), n_trials=options.trials)
    return study

"""The random search of each stage as an Optuna sampler: the whole grid, or the grid values next to given points."""

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.trial import FrozenTrial

from aoikit.errors import AoikitError


def neighbours(choices: Sequence[Any], value: Any, radius: int) -> list[Any]:
    """The choices within ``radius`` grid steps of the choice nearest to ``value``."""
    nearest = int(np.argmin([abs(float(choice) - float(value)) for choice in choices]))
    return list(choices[max(nearest - radius, 0) : nearest + radius + 1])


class StageSampler(optuna.samplers.BaseSampler):
    """Draw each categorical parameter at random from the whole grid or around a parent point.

    Without ``parents`` every choice is equally likely (stage 1). With ``parents``, trial number n starts from
    ``parents[n % len(parents)]`` and takes each value from the choices within ``radius`` grid steps of the
    parent's (stages 2 and 3). Draws depend only on ``seed``, the trial number and the parameter name, so workers
    sharing one study draw different points and a rerun draws the same ones.
    """

    def __init__(self, parents: Sequence[dict[str, Any]] = (), radius: int = 1, seed: int = 0) -> None:
        self.parents = list(parents)
        self.radius = radius
        self.seed = seed

    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def sample_independent(
        self, study: optuna.Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        if not isinstance(param_distribution, CategoricalDistribution):
            raise AoikitError(f"the stage sampler draws from grids only; {param_name} is not categorical")
        choices = list(param_distribution.choices)
        if self.parents:
            choices = neighbours(choices, self.parents[trial.number % len(self.parents)][param_name], self.radius)
        rng = np.random.default_rng([self.seed, trial.number, zlib.crc32(param_name.encode())])
        return choices[int(rng.integers(len(choices)))]

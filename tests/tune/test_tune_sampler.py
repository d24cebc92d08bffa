"""Stage draws: the whole grid in stage 1, neighbouring grid values of a parent later, the same per trial number."""

import optuna
import pytest

from aoikit.errors import AoikitError
from aoikit.tune.sampler import StageSampler, neighbours

CHOICES = {"w": (1, 10, 20, 30, 40), "lam": (0.0, 0.5, 1.0)}


def draws(sampler: StageSampler, n: int) -> list[dict[str, float]]:
    study = optuna.create_study(sampler=sampler)
    study.optimize(lambda t: sum(t.suggest_categorical(k, v) for k, v in CHOICES.items()), n_trials=n)
    return [t.params for t in study.trials]


def test_neighbours_are_the_choices_next_to_the_nearest() -> None:
    assert neighbours((1, 10, 20, 30), 20, 1) == [10, 20, 30]
    assert neighbours((1, 10, 20, 30), 1, 1) == [1, 10]
    assert neighbours((0.0, 0.05, 0.1), 0.1, 1) == [0.05, 0.1]
    assert neighbours((1, 5, 10, 15), 11, 0) == [10]


def test_stage_one_covers_the_grid_and_repeats_per_trial_number() -> None:
    first = draws(StageSampler(seed=3), 40)
    assert {p["w"] for p in first} == set(CHOICES["w"]) and {p["lam"] for p in first} == set(CHOICES["lam"])
    assert draws(StageSampler(seed=3), 40) == first
    assert draws(StageSampler(seed=4), 40) != first


def test_later_stages_stay_next_to_their_parents_in_turn() -> None:
    parents = [{"w": 1, "lam": 0.0}, {"w": 30, "lam": 1.0}]
    for number, params in enumerate(draws(StageSampler(parents, radius=1), 20)):
        parent = parents[number % 2]
        assert params["w"] in neighbours(CHOICES["w"], parent["w"], 1)
        assert params["lam"] in neighbours(CHOICES["lam"], parent["lam"], 1)


def test_only_grids_are_drawn() -> None:
    study = optuna.create_study(sampler=StageSampler())
    with pytest.raises(AoikitError, match="categorical"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1, catch=())

import pytest
import torch

from aoikit.runtime import setup_runtime
from aoikit.threads import ThreadGovernor, thread_governor

IDLE = {2: 1.0, 1: 1.15}
"""Seconds per step at each thread count on an idle 2-core machine (two threads win)."""
BUSY = {2: 3.2, 1: 1.0}
"""The same beside one busy process (measured: two threads at 0.31× one thread's rate)."""


class FakeMachine:
    """A clock that advances by the step cost of the thread count last set."""

    def __init__(self) -> None:
        self.now, self.threads, self.costs, self.sets = 0.0, 0, IDLE, 0

    def set_threads(self, count: int) -> None:
        self.threads, self.sets = count, self.sets + 1

    def clock(self) -> float:
        return self.now

    def run(self, governor: ThreadGovernor, steps: int) -> float:
        """Seconds ``steps`` steps take under ``governor``."""
        start = self.now
        for _ in range(steps):
            with governor.step():
                self.now += self.costs[self.threads]
        return self.now - start


def governed(machine: FakeMachine, candidates: list[int]) -> ThreadGovernor:
    return ThreadGovernor(candidates, set_threads=machine.set_threads, clock=machine.clock)


def test_keeps_all_threads_on_an_idle_machine() -> None:
    machine = FakeMachine()
    seconds = machine.run(governed(machine, [2, 1]), 2000)
    assert 2000 * IDLE[2] / seconds >= 0.97
    assert machine.threads == 2


def test_drops_to_one_thread_beside_a_busy_process_and_keeps_its_rate() -> None:
    machine = FakeMachine()
    governor = governed(machine, [2, 1])
    machine.run(governor, 500)
    machine.costs = BUSY
    seconds = machine.run(governor, 2000)
    assert machine.threads == 1 and governor.best == 1
    assert 2000 * BUSY[1] / seconds >= 0.9  # the bar: ≥ 90 % of one thread's rate


def test_returns_to_all_threads_when_the_load_goes() -> None:
    machine = FakeMachine()
    machine.costs = BUSY
    governor = governed(machine, [2, 1])
    machine.run(governor, 300)
    machine.costs = IDLE
    machine.run(governor, 2000)
    assert governor.best == 2


def test_a_single_candidate_only_times() -> None:
    machine = FakeMachine()
    governor = governed(machine, [2])
    machine.run(governor, 100)
    assert machine.sets == 1 and not governor.adaptive and governor.counts == {2: 100}


def test_explicit_threads_or_cuda_are_kept() -> None:
    assert thread_governor(2, 2, torch.device("cpu")).candidates == [2]
    assert thread_governor(None, 8, torch.device("cuda")).candidates == [8]
    assert thread_governor(None, 8, torch.device("cpu")).candidates == [8, 4, 1]
    assert thread_governor(None, 2, torch.device("cpu")).candidates == [2, 1]


def test_runtime_is_adaptive_only_when_threads_are_left_unset() -> None:
    assert not setup_runtime("cpu", False, 1).auto_threads
    count = torch.get_num_threads()
    try:
        auto = setup_runtime("cpu", False, None)
        assert auto.auto_threads == (auto.threads > 1)
        assert auto.as_dict()["auto_threads"] == auto.auto_threads
    finally:
        torch.set_num_threads(count)


def test_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        ThreadGovernor([])
    with pytest.raises(ValueError):
        ThreadGovernor([2, 0])

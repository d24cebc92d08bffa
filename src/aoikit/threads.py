"""Choose PyTorch's CPU thread count while training: the count that runs steps fastest under the load of now.

With every core in use, one busy process beside training makes each step wait for the thread it preempts: on a
2-core VM two threads fell to 0.31× one thread's rate beside one busy process, though they run 1.15× faster on
an idle machine. No fixed count is right on both, so the default measures.
"""

import statistics
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import torch


class ThreadGovernor:
    """Time training steps and keep PyTorch at the candidate thread count that runs them fastest now.

    Steps run at the best known count. Every ``period`` steps the other candidates run ``probe`` steps each
    (after one untimed step at the new count); the period doubles, up to ``max_period``, each time the choice
    holds, and returns to ``period`` when it changes; a trial step ``slowdown`` × slower than the chosen count's
    ends that candidate's trial. A step at the chosen count ``slowdown`` × slower than when it was chosen
    (median of ``probe`` steps) triggers a new round at once.

    Args:
        candidates: thread counts to choose from; one candidate makes the governor a plain timer.
        set_threads: applies a count (default ``torch.set_num_threads``).
        clock: seconds, monotonic.
    """

    def __init__(
        self,
        candidates: Sequence[int],
        probe: int = 3,
        period: int = 100,
        max_period: int = 800,
        slowdown: float = 1.5,
        set_threads: Callable[[int], None] = torch.set_num_threads,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if not candidates or min(candidates) < 1 or min(probe, period) < 1 or max_period < period or slowdown <= 1:
            raise ValueError("need candidates ≥ 1, probe and period ≥ 1, max_period ≥ period and slowdown > 1")
        self.candidates = sorted(set(candidates), reverse=True)
        self.probe, self.base_period, self.max_period, self.slowdown = probe, period, max_period, slowdown
        self.period = period
        self._set_threads, self._clock = set_threads, clock
        self.best = self.candidates[0]
        self.current = 0
        self._times: dict[int, deque[float]] = {c: deque(maxlen=probe) for c in self.candidates}
        self._reference = 0.0
        self._queue: list[int] = list(self.candidates) if len(self.candidates) > 1 else []
        self._skip = 0
        self._since = 0
        self.counts: dict[int, int] = dict.fromkeys(self.candidates, 0)
        """Steps run at each count so far."""

    @property
    def adaptive(self) -> bool:
        """Whether there is a choice to make."""
        return len(self.candidates) > 1

    @contextmanager
    def step(self) -> Iterator[None]:
        """Run one training step inside this block; the governor sets the thread count first and times the step."""
        count = self._queue[0] if self._queue else self.best
        if count != self.current:
            self._set_threads(count)
            self.current, self._skip = count, 1
        start = self._clock()
        yield
        self._record(count, self._clock() - start)

    def _record(self, count: int, seconds: float) -> None:
        self.counts[count] += 1
        if self._skip:
            self._skip -= 1
            return
        times = self._times[count]
        times.append(seconds)
        if self._queue:
            hopeless = count != self.best and 0 < self._reference * self.slowdown < seconds
            if len(times) == self.probe or hopeless:
                self._queue.pop(0)
                if not self._queue:
                    self._choose()
            return
        self._since += 1
        slowed = len(times) == self.probe and statistics.median(times) > self.slowdown * self._reference
        if self.adaptive and (self._since >= self.period or slowed):
            self._queue = [c for c in self.candidates if c != self.best]
            for other in self._queue:
                self._times[other].clear()

    def _choose(self) -> None:
        """Pick the fastest candidate by median step time and schedule the next round."""
        medians = {c: statistics.median(t) for c, t in self._times.items() if t}
        best = min(medians, key=lambda c: medians[c])
        self.period = min(2 * self.period, self.max_period) if best == self.best else self.base_period
        self.best, self._reference, self._since = best, medians[best], 0


def thread_governor(threads: int | None, configured: int, device: torch.device) -> ThreadGovernor:
    """The governor for a training run: it chooses among ``configured`` threads, half of them and one when the
    user left ``threads`` unset and training runs on the CPU; otherwise it only keeps ``configured``."""
    if threads is not None or device.type != "cpu":
        return ThreadGovernor([configured])
    return ThreadGovernor([configured, configured // 2 if configured >= 4 else configured, 1])

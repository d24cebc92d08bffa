"""Alerts: a rising share of anomalous frames (a one-sided binomial test), and the hook for new kinds.

The image threshold is the ``image_quantile`` of held-out good scores, so good parts are called anomalous
at a rate of 1 − ``image_quantile``. After each frame, the newest ``window`` frames of its camera are
tested against that rate; a p-value under the false alarm rate opens an alert (one per camera while it is
open, however many processes share the store), and it closes once the window looks like good parts again.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

import numpy as np

from aoikit.detector import Analysis
from aoikit.labels.regions import Region
from aoikit.service.store import Alert, Inspection, ResultStore, new_id

CLEAR_P = 0.5
"""A rate alert closes when its window's p-value rises above this."""


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    logs = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * math.log(p) + (n - i) * math.log1p(-p)
        for i in range(k, n + 1)
    ]
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(v - top) for v in logs))


@dataclass(frozen=True)
class RateTest:
    """The rate test of one window: ``anomalous`` of ``frames``, and its p-value at ``expected``."""

    anomalous: int
    frames: int
    expected: float
    p_value: float

    @property
    def rate(self) -> float:
        return self.anomalous / self.frames if self.frames else 0.0


def rate_test(anomalous: int, frames: int, expected: float) -> RateTest:
    """Test a window of ``frames`` decisions, ``anomalous`` of them anomalous, against the rate ``expected`` on good
    parts."""
    return RateTest(anomalous, frames, expected, binomial_tail(anomalous, frames, expected))


@dataclass(frozen=True)
class NewKind:
    """A new kind of anomaly a :class:`RegionJudge` saw in one frame.

    ``key`` names the kind: while an alert with the same key is open, no second one is raised. ``frames`` are the
    ids of the stored frames that show it besides the one judged (earlier frames the judge was given).
    """

    message: str
    key: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    frames: list[str] = field(default_factory=list)


class RegionJudge(Protocol):
    """Looks at an anomalous frame's regions and says which, if any, are a kind not seen before."""

    def judge(self, image: np.ndarray, analysis: Analysis, regions: list[Region], frame: str) -> list[NewKind]:
        """New kinds in ``image`` (H×W float in [0, 1]), given its analysis, its outlined regions and the id of its
        stored inspection (``frame``)."""
        ...


@runtime_checkable
class RegionNamer(Protocol):
    """Names the regions of a frame (their ``class_name``) before they are stored."""

    def name(self, image: np.ndarray, regions: list[Region]) -> list[Region]:
        """``regions`` of ``image``, each with its kind as ``class_name``."""
        ...


class AlertDesk:
    """Raises, closes and announces alerts in the store.

    Args:
        store: where alerts are kept.
        expected_rate: anomalous share expected on good parts (1 − the detector's ``image_quantile``).
        window: frames per camera the rate test looks at.
        false_alarm_rate: p-value under which the rate alert opens.
        announce: called with each alert raised here (the webhook, the metrics).
        delivery: delivery state a new alert starts in ("pending" when a webhook will send it).
    """

    def __init__(
        self,
        store: ResultStore,
        expected_rate: float,
        window: int,
        false_alarm_rate: float,
        announce: Callable[[Alert, list[str]], None],
        delivery: str = "none",
    ) -> None:
        self.store = store
        self.expected_rate = expected_rate
        self.window = window
        self.false_alarm_rate = false_alarm_rate
        self.announce = announce
        self.delivery = delivery

    def check_rate(self, camera: str) -> RateTest:
        """Test ``camera``'s window; open or close its rate alert as the test says."""
        frames, anomalous = self.store.window_counts(camera, self.window)
        test = rate_test(anomalous, frames, self.expected_rate)
        open_key = f"rate:{camera}"
        current = self.store.open_alert(open_key)
        if current is None and test.p_value < self.false_alarm_rate:
            message = (
                f"{test.anomalous} of the last {test.frames} frames of camera {camera or '(none)'} are anomalous "
                f"({test.rate:.1%}, expected {self.expected_rate:.1%}; p = {test.p_value:.1e})"
            )
            details = {"anomalous": test.anomalous, "frames": test.frames, "expected_rate": self.expected_rate}
            self._raise(
                "rate",
                camera,
                open_key,
                message,
                {**details, "p_value": test.p_value},
                [i for i, a in self.store.recent(camera, self.window) if a],
            )
        elif current is not None and test.p_value > CLEAR_P:
            self.store.close_alert(current.id, datetime.now(UTC))
        return test

    def new_kinds(self, frame: Inspection, kinds: Sequence[NewKind]) -> None:
        """Store an alert for each new kind a judge found in ``frame``, naming ``frame`` and the kind's frames."""
        for kind in kinds:
            open_key = None if kind.key is None else f"new_kind:{kind.key}"
            frames = [*kind.frames, frame.id]
            self._raise("new_kind", frame.camera, open_key, kind.message, dict(kind.details), frames)

    def _raise(
        self, kind: str, camera: str, open_key: str | None, message: str, details: dict[str, Any], frames: list[str]
    ) -> None:
        alert = Alert(
            id=new_id(),
            kind=kind,
            camera=camera,
            created_at=datetime.now(UTC),
            open_key=open_key,
            message=message,
            details=details,
            delivery=self.delivery,
            attempts=0,
        )
        if self.store.raise_alert(alert, frames):
            self.announce(alert, frames)

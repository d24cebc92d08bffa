"""Known defect types from a supervised run: each region of the unsupervised map is named with the type the
supervised model sees there, and regions it does not explain, when they recur, raise a "new kind" alert."""

from collections import deque
from dataclasses import replace

import numpy as np

from aoikit.detector import Analysis, Detector
from aoikit.errors import AoikitError
from aoikit.labels.regions import Region
from aoikit.models.protocol import NamesDefects
from aoikit.service.alerts import NewKind
from aoikit.service.novelty import SUPPORT, WINDOW, check_support

UNEXPLAINED = "unexplained"
"""The name of a region whose pixels the supervised model leaves under its calibrated threshold."""


class SupervisedJudge:
    """Names regions with a supervised run's defect types; alerts when unexplained regions recur.

    Args:
        supervised: a calibrated supervised detector (``aoikit train --model unet``).
        support: frames with unexplained regions needed for an alert.
        window: the last this many judged frames are searched for that support.
    """

    def __init__(self, supervised: Detector, support: int = SUPPORT, window: int = WINDOW) -> None:
        if not isinstance(supervised, NamesDefects):
            raise AoikitError(f"a supervised run names defect types; the {supervised.family} family does not")
        check_support(support, window)
        self.supervised, self.support, self.window = supervised, support, window
        self._recent: deque[tuple[str, int]] = deque(maxlen=window)

    def name(self, image: np.ndarray, regions: list[Region]) -> list[Region]:
        """``regions`` with ``class_name`` set to the supervised model's type, or :data:`UNEXPLAINED`."""
        probs = self.supervised.class_probabilities(image)
        named = []
        for region in regions:
            x0, y0, x1, y1 = region.box
            inside = probs[:, y0:y1, x0:x1][:, region.mask]
            explained = float((1.0 - inside[0]).max()) > self.supervised.threshold_
            kind = self.supervised.type_in(inside[1:]) if explained else UNEXPLAINED
            named.append(replace(region, class_name=kind))
        return named

    def judge(self, image: np.ndarray, analysis: Analysis, regions: list[Region], frame: str) -> list[NewKind]:
        """Count this frame's unexplained regions (named by :meth:`name`); alert once ``support`` of the last
        ``window`` frames have some."""
        self._recent.append((frame, sum(r.class_name == UNEXPLAINED for r in regions)))
        frames = [name for name, count in self._recent if count]
        if not frames or frames[-1] != frame or len(frames) < self.support:
            return []
        self._recent.clear()
        known = ", ".join(self.supervised.classes_)
        message = (
            f"new kind of anomaly: {len(frames)} of the last {self.window} frames have anomalous regions the "
            f"supervised model does not explain as any known type ({known})"
        )
        details = {"frames": frames, "known_types": list(self.supervised.classes_)}
        return [NewKind(message, key=UNEXPLAINED, details=details, frames=frames[:-1])]

"""New kinds of anomaly: regions far from every kind of defect seen before raise an alert that names the frames.

Each region becomes a descriptor (:mod:`aoikit.service.descriptors`). :class:`KnownKinds` holds the descriptors of
regions of known kinds (labelled defect types, the detector's stray regions on good parts as the kind "good",
acknowledged alerts), standardised per feature by their median and interquartile range. A region's distance is
its mean distance to the ``k`` nearest known regions. The threshold is calibrated on the known regions alone: each
one's distance to the known regions of *other* frames (leave one frame out), at the ``1 − far_rate`` quantile, so
about ``far_rate`` of new regions of known kinds lie beyond it (optionally one threshold per kind). No region of an
unknown kind takes part.

:class:`NoveltyJudge` streams frames. A far region stays a candidate for ``window`` frames; an alert needs far
regions that resemble each other (chained pairwise distances within the pooled threshold) in ``support``
different frames among the last ``window``. One odd region raises nothing, and neither do unrelated odd regions of
known kinds: a new kind is a new cluster. It satisfies the service's ``RegionJudge`` protocol:
``judge(image, analysis, regions, frame) -> list[NewKind]`` (:class:`aoikit.service.alerts.NewKind`), one per
alert, naming the frames of its regions (the service passes each stored inspection's id); its details list them
too and, per region, :meth:`FarRegion.to_dict`.
"""

import json
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np

from aoikit.detector import Analysis
from aoikit.errors import AoikitError
from aoikit.labels.geometry import Box
from aoikit.labels.regions import Region
from aoikit.service.alerts import NewKind
from aoikit.service.descriptors import FEATURES, describe_regions

FORMAT = "aoikit.known_kinds/1"
MIN_KNOWN = 5
"""Fewest known regions the thresholds are calibrated on."""
SUPPORT = 3
"""Frames with similar far regions a "new kind" alert needs, by default."""
WINDOW = 30
"""Newest frames searched for that support, by default."""


@dataclass(frozen=True)
class FarRegion:
    """One region of a "new kind" alert.

    Attributes:
        frame: the frame holding it (the id passed to :meth:`NoveltyJudge.judge`, the service's inspection id; else
            the judge's frame count).
        box: ``(x0, y0, x1, y1)`` in that frame, x1 and y1 exclusive.
        distance: its distance to the known kinds in units of the threshold; above 1.
        nearest: the kind of its nearest known region(s).
        descriptor: its descriptor, to add it as known once a person has looked.
    """

    frame: str | int
    box: Box
    distance: float
    nearest: str
    descriptor: tuple[float, ...] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, as kept in an alert's details."""
        return {
            "frame": self.frame,
            "box": list(self.box),
            "distance": self.distance,
            "nearest": self.nearest,
            "descriptor": list(self.descriptor),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FarRegion":
        """Inverse of :meth:`to_dict`."""
        return cls(
            data["frame"], _box(data["box"]), float(data["distance"]), str(data["nearest"]), tuple(data["descriptor"])
        )


def _box(box: Sequence[int]) -> Box:
    x0, y0, x1, y1 = (int(v) for v in box)
    return x0, y0, x1, y1


def alert_regions(alert: NewKind) -> list[FarRegion]:
    """The regions of a "new kind" alert raised by :class:`NoveltyJudge`."""
    return [FarRegion.from_dict(r) for r in alert.details.get("regions", [])]


class KnownKinds:
    """Descriptors of regions of known kinds, and the calibrated distance beyond which a region is far.

    A region's distance to a set of regions is its mean distance to the ``k`` nearest of them (standardised
    descriptors). Calibration holds out one frame at a time: each known region's distance to the regions of
    *other* frames. By default one threshold: the ``1 − far_rate`` quantile of every known region's distance to all
    known regions of other frames. ``per_kind``: each kind's threshold is that quantile of its own regions'
    distances to the kind's regions in other frames, floored at the median of those distances over all kinds; a
    kind seen in one frame only takes the pooled quantile; a region is far when beyond every kind's threshold.
    Per kind controls each kind's far rate, but a quantile of the dozen regions a defect type often has is its
    maximum: on MVTec AD screw the thresholds grew wide enough to absorb every held-back type (docs/RESULTS.md).

    Args:
        k: neighbours averaged in a distance.
        far_rate: share of held-out known regions allowed beyond the threshold (per kind, or over all).
        per_kind: calibrate one threshold per kind instead of one for all.
        model_version: the version of the model whose regions these are (None: not recorded); the service refuses
            known kinds of another model.
    """

    def __init__(
        self, k: int = 3, far_rate: float = 0.01, per_kind: bool = False, model_version: str | None = None
    ) -> None:
        if k < 1 or not 0.0 < far_rate < 1.0:
            raise AoikitError(f"need k ≥ 1 and 0 < far_rate < 1, got k={k}, far_rate={far_rate}")
        self.k = k
        self.far_rate = far_rate
        self.per_kind = per_kind
        self.model_version = model_version

    def fit(self, descriptors: np.ndarray, kinds: Sequence[str], groups: Sequence[Hashable]) -> Self:
        """Learn known regions; ``groups`` names each region's frame (regions of one frame are held out together)."""
        x = np.asarray(descriptors, dtype=np.float64).reshape(-1, len(FEATURES))
        if not len(x) == len(kinds) == len(groups):
            raise AoikitError(f"{len(x)} descriptors, {len(kinds)} kinds and {len(groups)} groups do not match")
        if len(x) < MIN_KNOWN:
            raise AoikitError(f"need at least {MIN_KNOWN} known regions, got {len(x)}")
        if not np.isfinite(x).all():
            raise AoikitError("known region descriptors hold NaN or infinite values")
        self.descriptors_, self.kinds_, self.groups_ = x, [str(k) for k in kinds], [str(g) for g in groups]
        self.center_ = np.median(x, axis=0)
        q75, q25 = np.percentile(x, [75, 25], axis=0)
        spread = (q75 - q25) / 1.349
        spread = np.where(spread > 1e-6, spread, x.std(axis=0))
        self.scale_ = np.where(spread > 1e-6, spread, 1.0)
        held = self.held_out_distances()
        pooled = np.concatenate([d[np.isfinite(d)] for d in held.values()])
        if pooled.size == 0:
            raise AoikitError("no known kind has regions in two frames: cannot calibrate its threshold")
        self.link_ = float(np.quantile(pooled, 1.0 - self.far_rate, method="higher"))
        floor = float(np.median(pooled))
        self.thresholds_ = {
            kind: max(floor, float(np.quantile(d[np.isfinite(d)], 1.0 - self.far_rate, method="higher")))
            if self.per_kind and np.isfinite(d).any()
            else self.link_
            for kind, d in held.items()
        }
        return self

    def _standard(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64).reshape(-1, len(FEATURES)) - self.center_) / self.scale_

    def between(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Standardised distances from the rows of ``a`` to the rows of ``b``, (len(a), len(b))."""
        sa, sb = self._standard(a), self._standard(b)
        return np.sqrt(np.maximum(((sa[:, None, :] - sb[None, :, :]) ** 2).sum(-1), 0.0))

    def _knn(self, d: np.ndarray) -> np.ndarray:
        """Mean of the ``k`` smallest finite entries of each row (inf where a row has none)."""
        nearest = np.sort(d, axis=1)[:, : min(self.k, d.shape[1])]
        finite = np.isfinite(nearest)
        counts = finite.sum(axis=1)
        sums = np.where(finite, nearest, 0.0).sum(axis=1)
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.inf)

    def held_out_distances(self) -> dict[str, np.ndarray]:
        """Per kind, each of its regions' distance to the regions in other frames (inf when none): of its own kind
        with ``per_kind``, else of every kind."""
        kinds, groups = np.asarray(self.kinds_), np.asarray(self.groups_)
        held = {}
        for kind in sorted(set(self.kinds_)):
            idx = np.flatnonzero(kinds == kind)
            ref = idx if self.per_kind else np.arange(len(kinds))
            d = self.between(self.descriptors_[idx], self.descriptors_[ref])
            d[groups[idx][:, None] == groups[ref][None, :]] = np.inf
            held[kind] = self._knn(d)
        return held

    def distances(self, descriptors: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Each descriptor's distance to the nearest known kind in units of that kind's threshold (far above 1),
        and that kind."""
        self._check_fitted()
        kinds = sorted(self.thresholds_)
        x = np.asarray(descriptors, dtype=np.float64).reshape(-1, len(FEATURES))
        d = self.between(x, self.descriptors_)
        if not self.per_kind:
            return self._knn(d) / self.link_, [self.kinds_[int(i)] for i in d.argmin(axis=1)]
        labels = np.asarray(self.kinds_)
        ratios = np.stack([self._knn(d[:, labels == kind]) / self.thresholds_[kind] for kind in kinds], axis=1)
        return ratios.min(axis=1), [kinds[int(i)] for i in ratios.argmin(axis=1)]

    def add(self, descriptors: np.ndarray, kind: str, group: Hashable) -> Self:
        """Add regions of one frame (or one acknowledged alert) as ``kind``, then refit scale and thresholds."""
        self._check_fitted()
        x = np.asarray(descriptors, dtype=np.float64).reshape(-1, len(FEATURES))
        return self.fit(
            np.concatenate([self.descriptors_, x]), [*self.kinds_, *[kind] * len(x)], [*self.groups_, *[group] * len(x)]
        )

    @property
    def kind_names(self) -> list[str]:
        """The known kinds, sorted."""
        self._check_fitted()
        return sorted(set(self.kinds_))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able state: the parameters and the known regions (scale and thresholds, written for people to read,
        are refitted on load)."""
        self._check_fitted()
        return {
            "format": FORMAT,
            "features": list(FEATURES),
            "k": self.k,
            "far_rate": self.far_rate,
            "per_kind": self.per_kind,
            "model_version": self.model_version,
            "thresholds": self.thresholds_,
            "regions": [
                {"kind": kind, "group": group, "descriptor": [float(v) for v in row]}
                for kind, group, row in zip(self.kinds_, self.groups_, self.descriptors_, strict=True)
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "KnownKinds":
        """Rebuild from :meth:`to_dict`; the descriptor's features must match this version's."""
        try:
            if data["format"] != FORMAT or list(data["features"]) != list(FEATURES):
                raise AoikitError(f"known kinds of format {data['format']!r} with other features; refit them")
            regions = data["regions"]
            version = data.get("model_version")
            known = cls(
                int(data["k"]),
                float(data["far_rate"]),
                bool(data.get("per_kind", False)),
                None if version is None else str(version),
            )
            descriptors = np.asarray([r["descriptor"] for r in regions], dtype=np.float64)
            return known.fit(descriptors, [r["kind"] for r in regions], [r["group"] for r in regions])
        except (KeyError, TypeError, ValueError) as exc:
            raise AoikitError(f"not a known-kinds file ({exc.__class__.__name__}: {exc})") from None

    def save(self, path: Path) -> None:
        """Write :meth:`to_dict` as JSON (creating the folder)."""
        text = json.dumps(self.to_dict()) + "\n"
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(text)
        except OSError as exc:
            raise AoikitError(f"{path}: cannot write known kinds ({exc.strerror or exc})") from None

    @classmethod
    def load(cls, path: Path) -> "KnownKinds":
        """Read a file written by :meth:`save`."""
        try:
            data = json.loads(Path(path).read_text())
        except OSError as exc:
            raise AoikitError(f"{path}: cannot read known kinds ({exc.strerror or exc})") from None
        except ValueError as exc:
            raise AoikitError(f"{path}: not a known-kinds file (not JSON: {exc})") from None
        try:
            return cls.from_dict(data)
        except AoikitError as exc:
            raise AoikitError(f"{path}: {exc}") from None

    def _check_fitted(self) -> None:
        if not hasattr(self, "thresholds_"):
            raise AoikitError("no known kinds yet: call fit() with regions of known kinds")


@dataclass
class _Far:
    index: int
    region: FarRegion
    descriptor: np.ndarray


def check_support(support: int, window: int) -> None:
    """Raise :class:`AoikitError` unless 1 ≤ ``support`` ≤ ``window`` (frames an alert needs, frames searched)."""
    if support < 1 or window < support:
        raise AoikitError(f"need 1 ≤ support ≤ window, got support={support}, window={window}")


class NoveltyJudge:
    """Streams frames and raises a "new kind" alert when similar far regions recur.

    Args:
        known: fitted known kinds.
        support: frames with similar far regions needed for an alert.
        window: the last this many frames are searched for that support.
        map_window: the SSIM window of the map to describe regions with (default: the analysis's first).
    """

    def __init__(
        self, known: KnownKinds, support: int = SUPPORT, window: int = WINDOW, map_window: int | None = None
    ) -> None:
        check_support(support, window)
        self.known = known
        self.support = support
        self.window = window
        self.map_window = map_window
        self.frames_seen = 0
        self._far: list[_Far] = []

    def describe(self, image: np.ndarray, analysis: Analysis, regions: Sequence[Region]) -> np.ndarray:
        """Descriptors of ``regions`` of one frame, (n, len(FEATURES))."""
        window = self.map_window if self.map_window is not None else next(iter(analysis.maps))
        return describe_regions(image, analysis.maps[window], analysis.reconstruction, regions)

    def judge(
        self, image: np.ndarray, analysis: Analysis, regions: list[Region], frame: Hashable | None = None
    ) -> list[NewKind]:
        """Judge one frame's regions; the alert's regions when this frame completes the support, else none."""
        return self.judge_described(self.describe(image, analysis, regions), [r.box for r in regions], frame)

    def judge_described(
        self, descriptors: np.ndarray, boxes: Sequence[Box], frame: Hashable | None = None
    ) -> list[NewKind]:
        """:meth:`judge` on regions already described (one row and one box per region)."""
        index, self.frames_seen = self.frames_seen, self.frames_seen + 1
        name = index if frame is None else frame if isinstance(frame, int) else str(frame)
        self._far = [f for f in self._far if f.index > index - self.window]
        if len(boxes) == 0:
            return []
        distances, nearest = self.known.distances(descriptors)
        new = [
            _Far(index, FarRegion(name, _box(box), float(d), kind, tuple(map(float, row))), row)
            for box, d, kind, row in zip(boxes, distances, nearest, descriptors, strict=True)
            if d > 1.0
        ]
        self._far += new
        for far in new:
            cluster = self._cluster(far)
            if len({f.index for f in cluster}) >= self.support:
                self._far = [f for f in self._far if all(f is not c for c in cluster)]
                return self._alerts(cluster)
        return []

    def _cluster(self, seed: _Far) -> list[_Far]:
        """The kept far regions linked to ``seed`` through chains of pairwise distances within ``known.link_``."""
        link = self.known.link_
        members, frontier = [seed], [seed]
        rest = [f for f in self._far if f is not seed]
        while frontier and rest:
            pool = np.stack([f.descriptor for f in rest])
            close = np.zeros(len(rest), dtype=bool)
            for f in frontier:
                close |= self.known.between(f.descriptor, pool)[0] <= link
            frontier = [f for f, c in zip(rest, close, strict=True) if c]
            rest = [f for f, c in zip(rest, close, strict=True) if not c]
            members += frontier
        return sorted(members, key=lambda f: f.index)

    def _alerts(self, cluster: list[_Far]) -> list[NewKind]:
        regions = [f.region for f in cluster]
        frames = list(dict.fromkeys(r.frame for r in regions))
        names = ", ".join(str(f) for f in frames)
        message = (
            f"new kind of anomaly: {len(regions)} similar region(s) in {len(frames)} of the last {self.window} frames "
            f"({names}) lie beyond the calibrated distance of every known kind ({', '.join(self.known.kind_names)})"
        )
        details = {"frames": frames, "regions": [r.to_dict() for r in regions], "known_kinds": self.known.kind_names}
        return [NewKind(message, None, details, [str(f) for f in frames])]

    def acknowledge(self, alert: NewKind, kind: str) -> None:
        """A person named the alert's regions ``kind`` (a known one, or a new one): from now on they are known."""
        regions = alert_regions(alert)
        for frame in dict.fromkeys(r.frame for r in regions):
            rows = np.asarray([r.descriptor for r in regions if r.frame == frame])
            self.known.add(rows, kind, f"acknowledged:{frame}")

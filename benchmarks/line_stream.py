"""The pure parts of ``line_loop.py``: which labelled frames the engineer labels and which the line sees, the
stream they make, and what a played stream measures.

A frame is a :class:`Frame` (path, kind, mask); a played frame is a JSON-able record
``{"i", "kind", "id", "score", "anomalous", "names"}`` (``names``: the kinds its stored regions were named).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

GOOD = "good"


@dataclass(frozen=True)
class Frame:
    """A labelled frame: its image, its kind ("good" or a defect type) and its ground-truth mask (None: good)."""

    path: str
    kind: str
    mask: str | None = None


@dataclass(frozen=True)
class LinePlan:
    """Frames the engineer labels before the line starts (good and known types) and the stream the line sees."""

    labelled_good: list[Frame]
    labelled_known: list[Frame]
    stream: list[Frame]


def split_half(frames: Sequence[Frame], rng: np.random.Generator) -> tuple[list[Frame], list[Frame]]:
    """``frames`` shuffled and cut in two; the first half gets the odd one."""
    order = [frames[int(i)] for i in rng.permutation(len(frames))]
    cut = (len(order) + 1) // 2
    return order[:cut], order[cut:]


def build_stream(
    good: Sequence[Frame],
    known: Sequence[Frame],
    new: Sequence[Frame],
    defect_rate: float,
    lead: int,
    rng: np.random.Generator,
) -> list[Frame]:
    """A shuffled stream of every frame in ``known`` and ``new`` with good frames (``good`` repeated in turn) making
    up ``1 − defect_rate`` of it; no frame of ``new`` comes before frame ``lead`` (0-based)."""
    if not 0.0 < defect_rate < 1.0:
        raise ValueError(f"defect_rate must lie strictly between 0 and 1, got {defect_rate}")
    if not good or lead < 0:
        raise ValueError("need good frames and lead ≥ 0")
    defects = len(known) + len(new)
    goods = [good[i % len(good)] for i in range(round(defects * (1.0 - defect_rate) / defect_rate))]
    others = [(goods + list(known))[int(i)] for i in rng.permutation(len(goods) + len(known))]
    shuffled_new = [new[int(i)] for i in rng.permutation(len(new))]
    total = len(others) + len(new)
    slots = set(rng.choice(np.arange(min(lead, len(others)), total), size=len(new), replace=False).tolist())
    stream, rest, fresh = [], iter(others), iter(shuffled_new)
    for position in range(total):
        stream.append(next(fresh) if position in slots else next(rest))
    return stream


def plan_line(test: Sequence[Frame], new_kind: str, defect_rate: float, lead: int, seed: int) -> LinePlan:
    """Half of the good frames and of each known type's frames to label, the other halves and every frame of
    ``new_kind`` to stream (:func:`build_stream`)."""
    rng = np.random.default_rng(seed)
    labelled_good, line_good = split_half([f for f in test if f.kind == GOOD], rng)
    labelled_known: list[Frame] = []
    line_known: list[Frame] = []
    for kind in sorted({f.kind for f in test} - {GOOD, new_kind}):
        first, second = split_half([f for f in test if f.kind == kind], rng)
        labelled_known += first
        line_known += second
    new = [f for f in test if f.kind == new_kind]
    return LinePlan(labelled_good, labelled_known, build_stream(line_good, line_known, new, defect_rate, lead, rng))


def frames_until(records: Sequence[dict[str, Any]], alert_at: int, new_kind: str) -> dict[str, int]:
    """Frames of ``new_kind`` streamed up to the frame ``alert_at`` (stream index, inclusive), and stream frames from
    its first one to then."""
    new = [r["i"] for r in records if r["kind"] == new_kind and r["i"] <= alert_at]
    return {"new_frames": len(new), "stream_frames": alert_at - new[0] + 1 if new else 0}


def measures(records: Sequence[dict[str, Any]], new_kind: str) -> dict[str, Any]:
    """What one phase of a stream measured: frames of the new kind caught (anomalous) and caught and named right
    (a region named ``new_kind``), good frames and false alarms on them (per 1,000), known-type frames caught and
    named right."""
    new = [r for r in records if r["kind"] == new_kind]
    good = [r for r in records if r["kind"] == GOOD]
    known = [r for r in records if r["kind"] not in (GOOD, new_kind)]
    false = sum(r["anomalous"] for r in good)
    return {
        "new_frames": len(new),
        "new_caught": sum(r["anomalous"] for r in new),
        "new_named": sum(r["anomalous"] and new_kind in r["names"] for r in new),
        "good_frames": len(good),
        "false_alarms": false,
        "false_per_1000": 1000.0 * false / len(good) if good else float("nan"),
        "known_frames": len(known),
        "known_caught": sum(r["anomalous"] for r in known),
        "known_named": sum(r["anomalous"] and r["kind"] in r["names"] for r in known),
    }


def share(part: int, whole: int) -> str:
    """``part/whole (pct)``, or "–" with nothing to count."""
    return f"{part}/{whole} ({100.0 * part / whole:.0f}%)" if whole else "–"

"""The pure parts of the line loop benchmark: the split into labelled and streamed frames, the stream, and what a
played stream measures."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from line_stream import GOOD, Frame, build_stream, frames_until, measures, plan_line, share, split_half


def frames(kind: str, count: int) -> list[Frame]:
    return [Frame(f"{kind}/{i}.png", kind, None if kind == GOOD else f"masks/{kind}/{i}.png") for i in range(count)]


def test_split_half_keeps_every_frame_once() -> None:
    first, second = split_half(frames("a", 7), np.random.default_rng(0))
    assert (len(first), len(second)) == (4, 3) and sorted(first + second, key=str) == sorted(frames("a", 7), key=str)


@pytest.mark.parametrize("lead", [0, 30, 500])
def test_the_stream_has_the_defect_rate_and_the_new_kind_after_the_lead(lead: int) -> None:
    known, new = frames("scratch", 6), frames("crack", 4)
    stream = build_stream(frames(GOOD, 7), known, new, 0.1, lead, np.random.default_rng(1))
    assert len(stream) == 100 and sum(f.kind == GOOD for f in stream) == 90
    assert sorted(f.path for f in stream if f.kind != GOOD) == sorted(f.path for f in known + new)
    first_new = min(i for i, f in enumerate(stream) if f.kind == "crack")
    assert first_new >= min(lead, 96)  # a lead past the other frames puts the new kind last
    assert {f.path for f in stream if f.kind == GOOD} == {f.path for f in frames(GOOD, 7)}  # goods repeated in turn
    again = build_stream(frames(GOOD, 7), known, new, 0.1, lead, np.random.default_rng(1))
    assert again == stream  # a seed makes the same stream


def test_bad_stream_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="defect_rate"):
        build_stream(frames(GOOD, 2), [], frames("x", 1), 1.0, 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="good frames"):
        build_stream([], [], frames("x", 1), 0.1, 0, np.random.default_rng(0))


def test_the_plan_labels_half_of_the_known_and_never_the_new_kind() -> None:
    test = frames(GOOD, 10) + frames("scratch", 6) + frames("dent", 5) + frames("crack", 4)
    plan = plan_line(test, "crack", 0.2, 5, seed=3)
    assert len(plan.labelled_good) == 5
    assert sorted(f.kind for f in plan.labelled_known) == ["dent"] * 3 + ["scratch"] * 3
    streamed = [f for f in plan.stream if f.kind != GOOD]
    assert sorted(f.kind for f in streamed) == ["crack"] * 4 + ["dent"] * 2 + ["scratch"] * 3
    assert not {f.path for f in plan.labelled_known} & {f.path for f in streamed}
    assert not {f.path for f in plan.labelled_good} & {f.path for f in plan.stream}
    assert plan == plan_line(test, "crack", 0.2, 5, seed=3)


def record(i: int, kind: str, anomalous: bool, names: tuple[str, ...] = ()) -> dict:
    return {"i": i, "kind": kind, "id": f"id{i}", "score": 0.0, "anomalous": anomalous, "names": list(names)}


def test_measures_count_catches_names_and_false_alarms() -> None:
    records = [
        record(0, GOOD, False),
        record(1, GOOD, True, ("scratch",)),
        record(2, "crack", True, ("crack",)),
        record(3, "crack", True, ("scratch",)),
        record(4, "crack", False),
        record(5, "scratch", True, ("scratch",)),
        record(6, "crack", False, ("crack",)),  # named but not decided anomalous: not caught
    ]
    m = measures(records, "crack")
    assert (m["new_frames"], m["new_caught"], m["new_named"]) == (4, 2, 1)
    assert (m["good_frames"], m["false_alarms"], m["false_per_1000"]) == (2, 1, 500.0)
    assert (m["known_frames"], m["known_caught"], m["known_named"]) == (1, 1, 1)
    assert frames_until(records, 3, "crack") == {"new_frames": 2, "stream_frames": 2}
    assert frames_until(records, 1, "crack") == {"new_frames": 0, "stream_frames": 0}
    assert share(1, 4) == "1/4 (25%)" and share(0, 0) == "–"

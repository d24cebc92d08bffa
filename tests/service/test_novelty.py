"""New kinds of anomaly on synthetic frames: two known kinds (dark blobs, thin dark scratches), good frames, and
a third kind never seen before (bright squares)."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from aoikit.detector import Analysis
from aoikit.errors import AoikitError
from aoikit.labels.regions import Region, RegionConfig, extract_regions
from aoikit.service.alerts import NewKind, RegionJudge
from aoikit.service.descriptors import FEATURES, describe_regions
from aoikit.service.novelty import KnownKinds, NoveltyJudge, alert_regions

SIZE = 128


def frame(kind: str, seed: int) -> tuple[np.ndarray, Analysis]:
    """A textured frame with one defect of ``kind`` (or, "good", a faint smudge in half the frames: the stray
    regions a detector finds on good parts), and an analysis whose reconstruction is the clean texture and whose
    map is the blurred absolute residual."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:SIZE, :SIZE] / SIZE
    phase = rng.uniform(0, 2 * np.pi, 2)
    clean = (0.5 + 0.1 * np.sin(6 * xx + phase[0]) * np.cos(4 * yy + phase[1])).astype(np.float32)
    image = clean + rng.normal(0, 0.02, clean.shape).astype(np.float32)
    x, y = (int(v) for v in rng.integers(30, SIZE - 30, 2))
    if kind == "blob":
        cv2.circle(image, (x, y), int(rng.integers(5, 9)), float(clean[y, x] - 0.25), -1)
    elif kind == "scratch":
        angle, length = rng.uniform(0, np.pi), rng.uniform(30, 50)
        dx, dy = 0.5 * length * np.cos(angle), 0.5 * length * np.sin(angle)
        cv2.line(image, (round(x - dx), round(y - dy)), (round(x + dx), round(y + dy)), float(clean[y, x] - 0.2), 1)
    elif kind == "good" and rng.random() < 0.5:
        image += (0.07 * np.exp(-((xx * SIZE - x) ** 2 + (yy * SIZE - y) ** 2) / 18)).astype(np.float32)
    elif kind == "square":
        side = int(rng.integers(9, 14))
        image[y : y + side, x : x + side] = clean[y, x] + 0.3
    amap = cv2.GaussianBlur(np.abs(image - clean), (0, 0), 1.5)
    return image, Analysis({11: amap}, clean)


THRESHOLD = 0.04
"""Pixel threshold of the synthetic maps: above the noise (blurred |N(0, 0.02)| stays under 0.035)."""


def regions_of(analysis: Analysis) -> list[Region]:
    return extract_regions(analysis.maps[11], RegionConfig(threshold=THRESHOLD, min_area=8))


def known_kinds(n: int = 20, k: int = 3, far_rate: float = 0.01, per_kind: bool = False) -> KnownKinds:
    rows, kinds, groups = [], [], []
    for kind in ("blob", "scratch", "good"):
        for i in range(n):
            image, analysis = frame(kind, seed=1000 * len(kind) + i)
            x = describe_regions(image, analysis.maps[11], analysis.reconstruction, regions_of(analysis))
            rows.append(x)
            kinds += [kind] * len(x)
            groups += [f"{kind}-{i}"] * len(x)
    return KnownKinds(k, far_rate, per_kind).fit(np.concatenate(rows), kinds, groups)


def stream(judge: NoveltyJudge, kinds: list[str], seed: int) -> list[tuple[int, list[NewKind]]]:
    """Judge frames of the given kinds in order; the alerts raised, with the index of the frame raising each."""
    raised = []
    for i, kind in enumerate(kinds):
        image, analysis = frame(kind, seed=seed + i)
        alerts = judge.judge(image, analysis, regions_of(analysis), frame=f"{kind}-{i}")
        if alerts:
            raised.append((i, alerts))
    return raised


def test_descriptors_are_finite_and_tell_blobs_from_scratches() -> None:
    rows = {}
    for kind in ("blob", "scratch", "square"):
        image, analysis = frame(kind, seed=3)
        regions = regions_of(analysis)
        assert len(regions) == 1
        rows[kind] = describe_regions(image, analysis.maps[11], analysis.reconstruction, regions)[0]
        assert rows[kind].shape == (len(FEATURES),) and np.isfinite(rows[kind]).all()
    elongation = FEATURES.index("log_major"), FEATURES.index("log_minor")
    assert rows["scratch"][elongation[0]] - rows["scratch"][elongation[1]] > 1.0  # a line is long and thin
    assert abs(rows["blob"][elongation[0]] - rows["blob"][elongation[1]]) < 0.3  # a disc is round
    contrast = FEATURES.index("contrast")
    assert rows["blob"][contrast] < 0 < rows["square"][contrast]


def test_known_kinds_and_good_frames_raise_no_alert_in_a_long_stream() -> None:
    known = known_kinds()
    judge = NoveltyJudge(known, support=3, window=30)
    kinds = list(np.random.default_rng(0).choice(["blob", "scratch", "good"], size=120))
    assert stream(judge, kinds, seed=50_000) == []
    assert judge.frames_seen == 120


def test_a_new_kind_is_flagged_within_a_few_frames_and_the_alert_names_them() -> None:
    judge = NoveltyJudge(known_kinds(), support=3, window=30)
    rng = np.random.default_rng(1)
    kinds = [str(rng.choice(["blob", "scratch", "good"])) if i % 4 else "square" for i in range(60)]
    raised = stream(judge, kinds, seed=70_000)
    assert raised, "the bright squares were never flagged"
    first, alerts = raised[0]
    squares_before = kinds[: first + 1].count("square")
    assert squares_before <= 4
    assert len(alerts) == 1 and isinstance(alerts[0], NewKind)
    regions, frames = alert_regions(alerts[0]), alerts[0].details["frames"]
    assert all(r.distance > 1.0 for r in regions) and {r.frame for r in regions} == set(frames)
    assert len(frames) >= 3 and all(str(f).startswith("square") for f in frames)
    assert "new kind of anomaly" in alerts[0].message and str(frames[0]) in alerts[0].message
    assert json.loads(json.dumps(alerts[0].details)) == alerts[0].details  # the store keeps details as JSON


def test_the_judge_is_the_services_region_judge() -> None:
    judge: RegionJudge = NoveltyJudge(known_kinds())
    image, analysis = frame("blob", seed=4)
    assert judge.judge(image, analysis, regions_of(analysis)) == []


def test_one_odd_region_alone_raises_nothing() -> None:
    judge = NoveltyJudge(known_kinds(), support=3, window=30)
    kinds = ["square"] + ["good"] * 40 + ["square"] + ["blob"] * 40 + ["square"]
    assert stream(judge, kinds, seed=90_000) == []


def test_acknowledged_alerts_become_known(tmp_path: Path) -> None:
    known = known_kinds()
    judge = NoveltyJudge(known, support=2, window=10)
    raised = stream(judge, ["square"] * 12, seed=110_000)
    assert len(raised) >= 4
    for _, alerts in raised:
        judge.acknowledge(alerts[0], kind="bright square")
    assert "bright square" in known.kind_names
    assert len(stream(judge, ["square"] * 12, seed=120_000)) <= 1  # a kind known from 12 frames is known sparsely

    known.save(tmp_path / "known.json")
    again = KnownKinds.load(tmp_path / "known.json")
    image, analysis = frame("square", seed=5)
    x = describe_regions(image, analysis.maps[11], analysis.reconstruction, regions_of(analysis))
    np.testing.assert_allclose(again.distances(x)[0], known.distances(x)[0])
    assert again.thresholds_ == known.thresholds_ and again.kind_names == known.kind_names


@pytest.mark.parametrize("per_kind", [False, True])
def test_thresholds_are_held_out_quantiles_of_known_regions(per_kind: bool) -> None:
    known = known_kinds(far_rate=0.05, per_kind=per_kind)
    held = known.held_out_distances()
    for kind, held_out in held.items():
        assert np.mean(held_out > known.thresholds_[kind]) <= (0.05 if per_kind else 1.0)
    pooled = np.concatenate(list(held.values()))
    assert np.mean(pooled > known.link_) <= 0.05 and np.mean(pooled >= known.link_) > 0.0


def test_bad_input_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(AoikitError, match="at least 5 known regions"):
        KnownKinds().fit(np.zeros((3, len(FEATURES))), ["a"] * 3, ["f", "g", "h"])
    with pytest.raises(AoikitError, match="two frames"):
        KnownKinds().fit(np.random.default_rng(0).random((6, len(FEATURES))), list("aabbcc"), ["one frame"] * 6)
    with pytest.raises(AoikitError, match="do not match"):
        KnownKinds().fit(np.zeros((6, len(FEATURES))), ["a"] * 5, ["f"] * 6)
    with pytest.raises(AoikitError, match="support"):
        NoveltyJudge(known_kinds(n=3), support=5, window=3)
    (tmp_path / "bad.json").write_text('{"format": "x"}')
    with pytest.raises(AoikitError, match=r"not a known-kinds file|refit"):
        KnownKinds.load(tmp_path / "bad.json")

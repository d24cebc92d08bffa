"""YOLO detect and segment label files round trip through the reader."""

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from aoikit.labels import ImageLabels, read_yolo, write_yolo


def test_writes_both_tasks_with_names(tmp_path: Path, sample: list[ImageLabels], class_names: list[str]) -> None:
    written = write_yolo(sample, tmp_path, class_names)
    assert {p.relative_to(tmp_path).as_posix() for p in written} == {
        f"{task}/{name}"
        for task in ("detect", "segment")
        for name in ("labels/crack_000.txt", "labels/good_000.txt", "data.yaml")
    }
    data = yaml.safe_load((tmp_path / "detect" / "data.yaml").read_text())
    assert data["names"] == {0: "anomaly", 1: "scratch"}
    first = (tmp_path / "detect" / "labels" / "crack_000.txt").read_text().splitlines()[0].split()
    assert first[0] == "1"  # the rectangle is a scratch
    assert [float(v) for v in first[1:]] == pytest.approx([19 / 128, 17 / 96, 22 / 128, 14 / 96], abs=1e-6)
    assert (tmp_path / "segment" / "labels" / "good_000.txt").read_text() == ""


@pytest.mark.parametrize("task", ["detect", "segment"])
def test_round_trip(
    tmp_path: Path, sample: list[ImageLabels], class_names: list[str], check_round_trip: Callable[..., None], task: str
) -> None:
    write_yolo(sample, tmp_path, class_names)
    sizes = {item.image_path: item.size for item in sample}
    read = read_yolo(tmp_path / task, sizes, class_names)
    if task == "segment":
        check_round_trip(sample, read, holes=False)
    else:
        assert [[r.box for r in item.regions] for item in read] == [[r.box for r in item.regions] for item in sample]

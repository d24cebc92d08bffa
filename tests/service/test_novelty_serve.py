"""The service on an export folder: onnxruntime named as its backend, the novelty judge raising alerts."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aoikit.export import export_detector
from aoikit.runs import load_run
from aoikit.service.inspector import FrameMeta
from aoikit.service.known_kinds import GOOD
from aoikit.service.novelty import KnownKinds, NoveltyJudge
from aoikit.service.server import open_inspector
from aoikit.service.settings import ServiceConfig

pytest.importorskip("onnxruntime")


def test_an_export_folder_is_served_through_onnxruntime_and_new_kinds_become_alerts(
    runs: dict[str, Any], bad_png: Callable[[int], bytes], tmp_path: Path
) -> None:
    run, good_frames = runs["ssim_ae"]
    export_detector(load_run(run), tmp_path / "export")
    rng = np.random.default_rng(0)
    known = KnownKinds(k=1, far_rate=0.01).fit(
        rng.normal(0.0, 0.1, (12, 10)), [GOOD] * 12, [f"f{i // 2}" for i in range(12)]
    )
    judge = NoveltyJudge(known, support=2, window=5)
    config = ServiceConfig(false_alarm_rate=1e-12)
    with open_inspector(
        tmp_path / "export", f"sqlite:///{tmp_path / 'r.db'}", config, tmp_path / "im", judge
    ) as inspector:
        assert inspector.model.backend == "onnxruntime"
        assert "onnxruntime" in inspector.describe()
        inspector.inspect(good_frames[0], FrameMeta(camera="c"), "api")
        first, _ = inspector.inspect(bad_png(1), FrameMeta(camera="c"), "api")
        second, _ = inspector.inspect(bad_png(2), FrameMeta(camera="c"), "api")
        assert first.backend == "onnxruntime" and second.anomalous
        inspector.settle()
        views = [v for v in inspector.store.alerts() if v.alert.kind == "new_kind"]
    assert len(views) == 1 and views[0].frames == sorted([first.id, second.id])
    assert views[0].alert.details["frames"] == [first.id, second.id]
    assert "new kind of anomaly" in views[0].alert.message and second.id in views[0].alert.message

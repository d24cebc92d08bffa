"""A supervised run beside the unsupervised one: regions are stored with the type it names, and regions it does
not explain raise a "new kind" alert naming their frames."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aoikit.cli import app
from aoikit.errors import AoikitError
from aoikit.runs import load_run
from aoikit.service.inspector import FrameMeta
from aoikit.service.supervised_judge import UNEXPLAINED, SupervisedJudge

CONFIG = (
    "detector: {model: unet, image_size: 64, score_sigma: 2.0, model_config: {width: 8, depth: 2, stem: 2}}\n"
    "train: {epochs: 4, steps_per_epoch: 30, crop_size: 32, lr: 0.003, threads: 1}\n"
)


@pytest.fixture(scope="module")
def supervised_run(labelled: Callable[[Path], Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A U-Net trained on the dark squares of the labelled folder (it has never seen a bright line)."""
    root = tmp_path_factory.mktemp("supervised")
    data, run = labelled(root / "data"), root / "run"
    (root / "unet.yaml").write_text(CONFIG)
    args = ["train", "--config", str(root / "unet.yaml"), "--data", str(data), "--out", str(run)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return run


def test_regions_are_named_and_unexplained_ones_alert_with_their_frames(
    open_service: Callable[..., Any], supervised_run: Path, kind_png: Callable[[str, int], bytes]
) -> None:
    inspector = open_service("ssim_ae", supervised=supervised_run, new_kind_support=2)
    dark = [inspector.inspect(kind_png("dark", 300 + i), FrameMeta(camera="c"), "api")[0] for i in range(3)]
    assert all(row.anomalous and row.regions for row in dark)
    assert {region["class_name"] for row in dark for region in row.regions} == {"dark"}
    assert not [v for v in inspector.store.alerts() if v.alert.kind == "new_kind"]

    bright = [inspector.inspect(kind_png("bright", 400 + i), FrameMeta(camera="c"), "api")[0] for i in range(2)]
    assert all(UNEXPLAINED in {region["class_name"] for region in row.regions} for row in bright)
    [view] = [v for v in inspector.store.alerts() if v.alert.kind == "new_kind"]
    assert sorted(view.frames) == sorted(row.id for row in bright)
    assert view.alert.details["known_types"] == ["dark"]


def test_only_a_supervised_run_names_types(runs: dict[str, Any], supervised_run: Path) -> None:
    with pytest.raises(AoikitError, match="ssim_ae family does not"):
        SupervisedJudge(load_run(runs["ssim_ae"][0]))  # type: ignore[arg-type]
    with pytest.raises(AoikitError, match="support"):
        SupervisedJudge(load_run(supervised_run), support=5, window=2)  # type: ignore[arg-type]

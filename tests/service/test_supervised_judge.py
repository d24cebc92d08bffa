"""A supervised run beside the unsupervised one: regions are stored with the type it names, and regions it does
not explain raise a "new kind" alert naming their frames."""

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aoikit.cli import app
from aoikit.data.fingerprint import file_sha256, load_good_images, save_good_images
from aoikit.data.open import open_dataset
from aoikit.errors import AoikitError
from aoikit.runs import load_run
from aoikit.service.inspector import FrameMeta
from aoikit.service.server import open_inspector
from aoikit.service.settings import ServiceConfig
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
    inspector.settle()
    assert not [v for v in inspector.store.alerts() if v.alert.kind == "new_kind"]

    bright = [inspector.inspect(kind_png("bright", 400 + i), FrameMeta(camera="c"), "api")[0] for i in range(2)]
    assert all(UNEXPLAINED in {region["class_name"] for region in row.regions} for row in bright)
    inspector.settle()
    [view] = [v for v in inspector.store.alerts() if v.alert.kind == "new_kind"]
    assert sorted(view.frames) == sorted(row.id for row in bright)
    assert view.alert.details["known_types"] == ["dark"]


def test_only_a_supervised_run_names_types(runs: dict[str, Any], supervised_run: Path) -> None:
    with pytest.raises(AoikitError, match="ssim_ae family does not"):
        SupervisedJudge(load_run(runs["ssim_ae"][0]))  # type: ignore[arg-type]
    with pytest.raises(AoikitError, match="support"):
        SupervisedJudge(load_run(supervised_run), support=5, window=2)  # type: ignore[arg-type]


def test_a_supervised_run_of_another_dataset_is_refused_with_one_line(
    runs: dict[str, Any], supervised_run: Path, labelled: Callable[[Path], Path], tmp_path: Path
) -> None:
    data = labelled(tmp_path / "data")  # the supervised run's dataset, written again
    assert load_good_images(supervised_run) == {file_sha256(s.path) for s in open_dataset(data).train}
    served, db = tmp_path / "served", f"sqlite:///{tmp_path / 'r.db'}"
    shutil.copytree(runs["ssim_ae"][0], served)
    save_good_images(served, sorted(served.glob("model/*")))  # a run that learned from other files
    result = CliRunner().invoke(app, ["serve", "--run", str(served), "--supervised", str(supervised_run), "--db", db])
    assert result.exit_code == 2 and result.output.count("aoikit: error:") == 1, result.output
    assert "trained on another dataset (no good image in common with" in result.output
    save_good_images(served, sorted((data / "good").iterdir()))  # one that learned from the line's good parts
    with open_inspector(served, db, ServiceConfig(supervised=supervised_run), tmp_path / "im", threads=1) as inspector:
        assert isinstance(inspector.judge, SupervisedJudge)

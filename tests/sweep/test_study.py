"""The study sweep: trains the grid, evaluates every window, resumes without retraining."""

from pathlib import Path

import pytest
import yaml

from aoikit.sweep import study as study_module
from aoikit.sweep.study import load_study, run_study
from aoikit.sweep.tables import plot_windows, write_tables


def _study(tmp_path: Path, data: Path) -> Path:
    config = {
        "out": str(tmp_path / "study"),
        "categories": {"bricks": str(data), "bricks_short": {"data": str(data), "train": {"patches_per_epoch": 8}}},
        "latent_dims": [8],
        "windows": [7, 11],
        "baselines": ["flat"],
        "panels": 1,
        "base": {
            "detector": {"image_size": 128},
            "train": {"epochs": 1, "patches_per_epoch": 16, "batch_size": 8, "threads": 1, "amp": False},
        },
    }
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_sweep_trains_evaluates_and_resumes(
    tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = load_study(_study(tmp_path, tiny_dataset))
    results = run_study(study)
    assert set(results) == {"bricks", "bricks_short"}
    assert set(results["bricks"]) == {"d=8", "flat baseline"}
    assert set(results["bricks"]["d=8"]) == {"7", "11"}
    run_config = (tmp_path / "study" / "bricks_short" / "d8" / "config.yaml").read_text()
    assert "patches_per_epoch: 8" in run_config and "latent_dim: 8" in run_config

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(study_module, "train_run", no_training)
    monkeypatch.setattr(study_module, "evaluate_detector", no_training)
    assert run_study(study) == results

    table = write_tables(results, study.windows, tmp_path / "study")
    assert "| d=8 |" in table.read_text() and (tmp_path / "study" / "bricks_pixel_auroc.csv").exists()
    plot_windows(results, study.windows, tmp_path / "study" / "windows.png")
    assert (tmp_path / "study" / "windows.png").stat().st_size > 1000

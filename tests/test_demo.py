"""The demo's path on a small scale: a trained SSIM autoencoder must find painted defects."""

import re
from pathlib import Path

import numpy as np
import pytest

from aoikit.config import RunConfig
from aoikit.data.arrays import load_images, load_masks
from aoikit.data.open import open_dataset
from aoikit.data.synthetic import make_synthetic_dataset
from aoikit.metrics import pixel_auroc
from aoikit.models.ssim_ae.detector import SSIMAEDetectorConfig
from aoikit.pipeline import train_run
from aoikit.training import TrainConfig


@pytest.mark.slow
def test_trained_autoencoder_finds_painted_defects(tmp_path: Path) -> None:
    root = make_synthetic_dataset(tmp_path / "data", size=128, n_train=16, n_test_good=2, n_test_defect=9, zoom=2.0)
    config = RunConfig(
        data=str(root),
        detector=SSIMAEDetectorConfig(image_size=128, patch_size=64, stride=32),
        train=TrainConfig(epochs=8, patches_per_epoch=512, threads=1),
    )
    detector = train_run(config, tmp_path / "run")
    assert detector.history_[-1]["val_loss"] < 0.8 * detector.history_[0]["val_loss"]
    test = open_dataset(root).test
    images = load_images(test)
    maps = [detector.anomaly_map(image)[0] for image in images]
    assert pixel_auroc(np.stack(maps), np.stack(load_masks(test, images))) > 0.85


@pytest.mark.slow
def test_the_demo_fits_the_default_detector_and_finds_the_painted_defects(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from aoikit.cli import app

    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    pixel, image = (float(v) for v in re.findall(r"AUROC (\d\.\d+)", result.output))
    assert pixel > 0.9 and image > 0.85
    assert (tmp_path / "demo" / "run" / "model" / "arrays.safetensors").is_file()
    assert len(list((tmp_path / "demo" / "run" / "panels").glob("*.png"))) >= 3

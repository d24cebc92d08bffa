"""The DRAEM detector: finds a painted defect after a short training, resumes exactly, round-trips."""

from pathlib import Path

import cv2
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from aoikit.config import config_from_values, read_yaml
from aoikit.errors import AoikitError
from aoikit.models import load_network
from aoikit.models.draem.detector import DRAEMDetector, DRAEMDetectorConfig
from aoikit.models.draem.loop import DRAEMTrainConfig
from aoikit.models.families import detector_class

TINY = DRAEMDetectorConfig(
    image_size=64, model_config={"recon_width": 8, "disc_width": 8, "depth": 2, "stem": 2}, score_sigma=2.0
)


def _train_config(**changes: object) -> DRAEMTrainConfig:
    values: dict = {"epochs": 1, "steps_per_epoch": 40, "batch_size": 4, "crop_size": 32, "lr": 2e-3}
    return DRAEMTrainConfig(**{**values, "val_images": 4, "min_cell": 8, "max_cell": 32, "threads": 1, **changes})


def _good(seed: int) -> np.ndarray:
    """A tilted grey ramp with fine noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:64, 0:64] / 64
    ramp = 0.5 + 0.2 * (rng.uniform(-1, 1) * xx + rng.uniform(-1, 1) * yy)
    return np.clip(ramp + 0.03 * rng.standard_normal((64, 64)), 0, 1).astype(np.float32)


def _defective(seed: int) -> tuple[np.ndarray, np.ndarray]:
    image, mask = _good(seed), np.zeros((64, 64), np.uint8)
    cv2.circle(mask, (20 + seed % 20, 30), 6, 1, -1)
    image[mask > 0] = 0.1
    return image, mask


def test_a_painted_defect_is_found_after_a_short_training(tmp_path: Path) -> None:
    detector = DRAEMDetector(TINY, _train_config(epochs=8))  # 4 epochs found it or not depending on the CPU (AVX2)
    detector.fit([_good(i) for i in range(12)], [_good(100 + i) for i in range(4)], tmp_path)
    defects = [_defective(200 + i) for i in range(4)]
    maps = [detector.anomaly_map(image)[0] for image, _ in defects]
    labels = np.concatenate([mask.ravel() for _, mask in defects])
    assert roc_auc_score(labels, np.concatenate([m.ravel() for m in maps])) > 0.85
    good_scores = detector.score([_good(300 + i) for i in range(4)])
    assert detector.score([image for image, _ in defects]).mean() > good_scores.mean()


def test_training_resumes_where_it_stopped(tmp_path: Path) -> None:
    train, val = [_good(i) for i in range(6)], [_good(100 + i) for i in range(2)]
    short = _train_config(epochs=2, steps_per_epoch=3, val_images=2)
    straight = DRAEMDetector(TINY, short).fit(train, val, tmp_path / "straight")
    DRAEMDetector(TINY, _train_config(epochs=1, steps_per_epoch=3, val_images=2)).fit(train, val, tmp_path / "cut")
    resumed = DRAEMDetector(TINY, short).fit(train, val, tmp_path / "cut", resume=True)
    assert [r["epoch"] for r in resumed.history_] == [1, 2]
    assert [r["loss"] for r in resumed.history_] == pytest.approx([r["loss"] for r in straight.history_])
    a, meta = load_network(tmp_path / "straight" / "last")
    assert meta["runtime"]["device"] == "cpu"  # "auto" on a machine without CUDA, recorded with the weights
    b, _ = load_network(tmp_path / "cut" / "last")
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)

    loaded = DRAEMDetector.load(tmp_path / "cut" / "model")
    images = [_defective(7)[0], _good(8)]
    np.testing.assert_allclose(loaded.score(images), resumed.score(images), rtol=1e-5, atol=1e-6)
    assert loaded.config == resumed.config and loaded.train_config == resumed.train_config
    assert loaded.image_threshold_ == resumed.image_threshold_


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"detector": {"model": "draem", "image_size": 100}}, "multiple of 32"),
        ({"detector": {"model": "draem", "image_score": "mean"}}, "image_score"),
        ({"detector": {"model": "draem", "model_config": {"stem": 3}}}, "stem"),
        ({"detector": {"model": "draem"}, "train": {"min_cell": 12}}, "power of 2"),
        ({"detector": {"model": "draem"}, "train": {"device": "tpu"}}, "unknown device"),
        ({"detector": {"model": "draem"}, "train": {"patches_per_epoch": 8}}, "not an option of the draem family"),
    ],
)
def test_configuration_is_checked_when_resolved(values: dict, message: str) -> None:
    with pytest.raises(AoikitError, match=message):
        config_from_values(values)


def test_the_default_yaml_resolves_to_this_family(tmp_path: Path) -> None:
    config = config_from_values(read_yaml(Path(__file__).parents[3] / "configs" / "draem.yaml"))
    assert detector_class("draem") is DRAEMDetector
    assert config.detector == DRAEMDetectorConfig() and config.train == DRAEMTrainConfig()
    with pytest.raises(AoikitError, match="crop_size"):
        DRAEMDetector(TINY, _train_config(crop_size=128)).fit([_good(0)] * 2, [_good(1)], tmp_path)

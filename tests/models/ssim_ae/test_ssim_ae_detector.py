"""SSIMAEDetector: fit, calibrate, map, predict, save and load."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from aoikit.data import open_dataset, read_gray
from aoikit.errors import AoikitError
from aoikit.models.ssim_ae.detector import SSIMAEDetector, SSIMAEDetectorConfig
from aoikit.training import TrainConfig


def _tiny_detector() -> SSIMAEDetector:
    config = SSIMAEDetectorConfig(model_config={"latent_dim": 16}, image_size=128, patch_size=128)
    return SSIMAEDetector(config, TrainConfig(epochs=2, patches_per_epoch=32, batch_size=8, amp=False))


@pytest.fixture(scope="module")
def fitted(tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[SSIMAEDetector, Path]:
    dataset = open_dataset(tiny_dataset)
    images = [read_gray(s.path) for s in dataset.train]
    out = tmp_path_factory.mktemp("run")
    return _tiny_detector().fit(images[:8], images[8:], out), out


def test_fit_writes_run_and_calibrates(fitted: tuple[SSIMAEDetector, Path]) -> None:
    detector, out = fitted
    assert (out / "model" / "model.safetensors").exists() and (out / "loss.png").exists()
    assert len(detector.history_) == 2
    assert 0.0 < detector.threshold_ < 2.0
    assert np.isfinite(detector.image_threshold_)


def test_anomaly_map_is_full_size(fitted: tuple[SSIMAEDetector, Path]) -> None:
    detector, _ = fitted
    image = np.random.default_rng(0).random((150, 170), dtype=np.float32)
    amap, recon = detector.anomaly_map(image, window=7)
    assert amap.shape == recon.shape == image.shape
    assert not np.allclose(amap, detector.anomaly_map(image, window=15)[0])


def test_save_load_round_trip_gives_identical_maps(fitted: tuple[SSIMAEDetector, Path], tmp_path: Path) -> None:
    detector, _ = fitted
    detector.save(tmp_path / "copy")
    loaded = SSIMAEDetector.load(tmp_path / "copy")
    image = np.random.default_rng(1).random((128, 128), dtype=np.float32)
    np.testing.assert_array_equal(detector.anomaly_map(image)[0], loaded.anomaly_map(image)[0])
    assert loaded.threshold_ == detector.threshold_
    assert loaded.config == detector.config


def test_predict_uses_calibrated_thresholds(fitted: tuple[SSIMAEDetector, Path]) -> None:
    detector, _ = fitted
    image = np.random.default_rng(2).random((128, 128), dtype=np.float32)
    result = detector.predict([image])[0]
    np.testing.assert_array_equal(result.pred_mask, result.anomaly_map > detector.threshold_)
    assert result.pred_label == int(result.pred_score > detector.image_threshold_)


def test_unfitted_detector_says_so() -> None:
    with pytest.raises(AoikitError, match="not fitted"):
        _tiny_detector().anomaly_map(np.zeros((128, 128), np.float32))


def test_training_checkpoint_is_not_a_detector(fitted: tuple[SSIMAEDetector, Path]) -> None:
    with pytest.raises(AoikitError, match="not a calibrated detector"):
        SSIMAEDetector.load(fitted[1] / "best")


def test_matched_intensity_makes_maps_blind_to_lighting_drift(
    fitted: tuple[SSIMAEDetector, Path], tmp_path: Path
) -> None:
    detector, _ = fitted
    image = np.random.default_rng(3).uniform(0.3, 0.7, (128, 128)).astype(np.float32)
    drifted = 0.85 * image
    assert not np.allclose(detector.anomaly_map(image)[0], detector.anomaly_map(drifted)[0], atol=1e-3)
    matched = SSIMAEDetector.from_model(detector.model_, replace(detector.config, match_intensity=True))
    matched.fit_intensity([image]).calibrate([image])
    np.testing.assert_allclose(matched.anomaly_map(image)[0], matched.anomaly_map(drifted)[0], atol=1e-4)
    matched.save(tmp_path / "matched")
    assert SSIMAEDetector.load(tmp_path / "matched").intensity_ == matched.intensity_


def test_matched_intensity_without_reference_says_so(fitted: tuple[SSIMAEDetector, Path]) -> None:
    detector, _ = fitted
    matched = SSIMAEDetector.from_model(detector.model_, replace(detector.config, match_intensity=True))
    with pytest.raises(AoikitError, match="fit_intensity"):
        matched.reconstruct(np.zeros((128, 128), np.float32))


def test_area_image_score_is_calibrated_and_saved(fitted: tuple[SSIMAEDetector, Path], tmp_path: Path) -> None:
    detector, _ = fitted
    rng = np.random.default_rng(4)
    good = [rng.uniform(0.3, 0.7, (128, 128)).astype(np.float32) for _ in range(3)]
    area = SSIMAEDetector.from_model(detector.model_, replace(detector.config, image_score="area", area_quantile=0.9))
    area.calibrate(good)
    maps = [area.anomaly_map(im)[0] for im in good]
    assert area.area_threshold_ == pytest.approx(np.quantile(np.stack(maps), 0.9), rel=1e-5)
    np.testing.assert_allclose(area.score(good).mean(), 0.1, atol=0.02)
    area.save(tmp_path / "area")
    loaded = SSIMAEDetector.load(tmp_path / "area")
    assert loaded.area_threshold_ == area.area_threshold_
    assert loaded.predict(good[:1])[0].pred_score == pytest.approx(area.score(good[:1])[0])


def test_unknown_image_score_fails_early() -> None:
    with pytest.raises(AoikitError, match="image_score"):
        SSIMAEDetectorConfig(image_score="mean")


def test_aligned_maps_follow_the_part_and_come_back_in_the_image_frame(fitted: tuple[SSIMAEDetector, Path]) -> None:
    detector, _ = fitted
    image = np.full((128, 128), 0.8, np.float32)
    image[58:70, 20:100], image[46:82, 14:26] = 0.3, 0.3  # a shaft with a wide head at its left end
    image += np.random.default_rng(5).normal(0, 0.02, image.shape).astype(np.float32)
    turned = np.ascontiguousarray(np.rot90(image))
    aligned = SSIMAEDetector.from_model(detector.model_, replace(detector.config, align=True))
    (upright, recon), turned_map = aligned.anomaly_map(image), aligned.anomaly_map(turned)[0]
    assert np.corrcoef(np.rot90(upright).ravel(), turned_map.ravel())[0, 1] > 0.95
    np.testing.assert_array_equal(recon, aligned.reconstruct(image))

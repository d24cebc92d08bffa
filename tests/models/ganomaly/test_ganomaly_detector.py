"""GANomalyDetector: fit, calibrate on validation images only, save/load, predict, and rank defects."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from skimage.data import brick

from aoikit.data.arrays import load_images
from aoikit.data.open import open_dataset
from aoikit.data.synthetic import make_synthetic_dataset
from aoikit.errors import AoikitError
from aoikit.metrics import image_auroc
from aoikit.models.ganomaly.detector import (
    CALIBRATED,
    TEST_FITTED,
    GANomalyDetector,
    GANomalyDetectorConfig,
    normalised_scores,
)
from aoikit.models.ganomaly.loop import GANTrainConfig

TINY = GANTrainConfig(epochs=2, batch_size=4, lr=2e-3, threads=1)
NETWORK = {"latent_dim": 16, "ngf": 8, "ndf": 8}
CONFIG = GANomalyDetectorConfig("ganomaly-ssim-ssim", NETWORK, image_size=64)


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[np.ndarray]]:
    """96-px synthetic textures (resized to 64 by the detector): train, val, test good and defective."""
    root = make_synthetic_dataset(tmp_path_factory.mktemp("gan"), size=96, n_train=12, n_test_good=3, n_test_defect=3)
    dataset = open_dataset(root)
    train = load_images(dataset.train)
    good = load_images([s for s in dataset.test if s.label == 0])
    bad = load_images([s for s in dataset.test if s.label == 1])
    return {"train": train[:8], "val": train[8:], "good": good, "bad": bad}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("run")


@pytest.fixture(scope="module")
def fitted(images: dict[str, list[np.ndarray]], run_dir: Path) -> GANomalyDetector:
    return GANomalyDetector(CONFIG, TINY).fit(images["train"], images["val"], run_dir)


def test_calibration_uses_only_the_validation_images(
    fitted: GANomalyDetector, images: dict[str, list[np.ndarray]]
) -> None:
    val_raw = fitted.raw_scores(images["val"])  # in batches: torch's SSIM; one frame at a time: OpenCV's
    assert fitted.normalizer_.min_ == pytest.approx(val_raw.min(), rel=1e-5)
    assert fitted.normalizer_.max_ == pytest.approx(val_raw.max(), rel=1e-5)
    np.testing.assert_allclose(fitted.score(images["val"]).min(), 0.0, atol=1e-6)
    assert 0.0 < fitted.image_threshold_ <= 1.0 and fitted.threshold_ > 0.0

    test = images["good"] + images["bad"]
    calibrated, how = normalised_scores(fitted, test)
    test_fitted, seed_how = normalised_scores(fitted, test, test_minmax=True)
    assert (how, seed_how) == (CALIBRATED, TEST_FITTED)
    assert test_fitted.min() == 0.0 and test_fitted.max() == 1.0
    assert not np.allclose(calibrated, test_fitted)


def test_save_load_round_trip_gives_identical_outputs(
    fitted: GANomalyDetector, images: dict[str, list[np.ndarray]], tmp_path: Path
) -> None:
    fitted.save(tmp_path / "model")
    loaded = GANomalyDetector.load(tmp_path / "model")
    test = images["good"] + images["bad"]
    np.testing.assert_array_equal(loaded.score(test), fitted.score(test))
    assert (loaded.image_threshold_, loaded.threshold_) == (fitted.image_threshold_, fitted.threshold_)
    assert loaded.score_config_ == fitted.score_config_ and loaded.config == fitted.config

    result = loaded.predict(images["bad"][:1])[0]
    assert result.anomaly_map.shape == result.pred_mask.shape == result.reconstruction.shape == (96, 96)
    assert result.pred_score == pytest.approx(float(fitted.score(images["bad"][:1])[0]), abs=1e-5)
    assert result.pred_label == int(result.pred_score > loaded.image_threshold_)


def test_training_checkpoints_are_not_detectors_and_typos_fail_early(fitted: GANomalyDetector, run_dir: Path) -> None:
    assert (run_dir / "model" / "model.safetensors").is_file()
    with pytest.raises(AoikitError, match="not a calibrated detector"):
        GANomalyDetector.load(run_dir / "best")
    with pytest.raises(AoikitError, match="ngff"):
        GANomalyDetectorConfig(model_config={"ngff": 8})
    with pytest.raises(AoikitError, match="unknown GANomaly preset"):
        GANomalyDetectorConfig("ganomaly-l2")
    with pytest.raises(AoikitError, match="not fitted"):
        GANomalyDetector().score([np.zeros((64, 64), np.float32)])


def _brick_crops(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Random 128² crops of the brick texture in [0, 1] (the detector area-resizes them to 64²)."""
    texture = brick().astype(np.float32) / 255
    corners = rng.integers(0, texture.shape[0] - 128, (n, 2))
    return [texture[i : i + 128, j : j + 128].copy() for i, j in corners]


def test_short_training_ranks_dark_blobs_above_good_images(tmp_path: Path) -> None:
    # The settings of tests/models/test_ganomaly_score.py: about 100 steps separate dark blobs.
    rng = np.random.default_rng(0)
    train, val, good, bad = (_brick_crops(n, rng) for n in (256, 8, 10, 10))
    yy, xx = np.mgrid[:128, :128]
    for image in bad:
        cy, cx = rng.uniform(32, 96, 2)
        image[(yy - cy) ** 2 + (xx - cx) ** 2 < 20**2] = 0.05
    network = {"latent_dim": 32, "ngf": 16, "ndf": 16}
    config = GANomalyDetectorConfig("ganomaly-l1-l1", network, w_adv=1.0, w_con=50.0, w_enc=10.0, lam=0.9)
    cfg = replace(TINY, epochs=3, batch_size=8, lr_decay=False)
    detector = GANomalyDetector(config, cfg).fit(train, val, tmp_path)
    scores = detector.score(good + bad)
    assert image_auroc(scores, np.r_[np.zeros(10), np.ones(10)]) >= 0.9


def test_matched_intensity_scores_ignore_lighting_drift(images: dict[str, list[np.ndarray]], tmp_path: Path) -> None:
    detector = GANomalyDetector(replace(CONFIG, match_intensity=True), TINY)
    detector.fit(images["train"], images["val"], tmp_path)
    test = images["good"] + images["bad"]
    drifted = [0.85 * im for im in test]
    np.testing.assert_allclose(detector.raw_scores(drifted), detector.raw_scores(test), atol=1e-4)
    loaded = GANomalyDetector.load(tmp_path / "model")
    assert loaded.config.match_intensity and loaded.intensity_ == detector.intensity_
    np.testing.assert_array_equal(loaded.score(test), detector.score(test))


def test_a_frame_analysed_with_its_maps_scores_as_the_batch_scorer_does(
    fitted: GANomalyDetector, images: dict[str, list[np.ndarray]]
) -> None:
    """The score of :meth:`analyse` reuses the map of the score's window; it equals the batch scorer's score (to
    float32 rounding: one frame's SSIM map comes from OpenCV, a batch's from torch)."""
    test = images["good"][:1] + images["bad"][:1]
    window = fitted.score_config_.window_size
    for windows in ([window], [7, window], [7]):
        raw = [fitted.analyse(im, windows).score for im in test]
        np.testing.assert_allclose(raw, fitted.raw_scores(test), rtol=1e-5)

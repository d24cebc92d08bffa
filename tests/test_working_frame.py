"""Into the working frame and back, for every family: part crops, gamma correction, their references."""

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from aoikit.detector import Detector, DetectorConfig
from aoikit.models.ganomaly.detector import GANomalyDetector, GANomalyDetectorConfig
from aoikit.models.ssim_ae.detector import SSIMAEDetector, SSIMAEDetectorConfig
from aoikit.preprocess import crop_part, foreground_mask, unalign

TINY_CONFIGS: dict[type[Detector], DetectorConfig] = {
    SSIMAEDetector: SSIMAEDetectorConfig(model_config={"latent_dim": 8}, image_size=64, patch_size=32, stride=16),
    GANomalyDetector: GANomalyDetectorConfig(model_config={"latent_dim": 8, "ngf": 8, "ndf": 8}, image_size=64),
}


def untrained(family: type[Detector], **changes: object) -> Detector:
    config = replace(TINY_CONFIGS[family], **changes)
    return family.from_model(family(config).build_model(), config)  # type: ignore[attr-defined]


@pytest.mark.parametrize("family", list(TINY_CONFIGS))
def test_cropped_maps_come_back_in_the_image_frame_and_score_0_outside_the_crop(
    family: type[Detector], screw: Callable[..., np.ndarray]
) -> None:
    detector = untrained(family, roi="otsu", roi_margin=0.1)
    image = screw(30.0, shift=(5, -8))
    amap, recon = detector.anomaly_map(image)
    assert amap.shape == recon.shape == image.shape
    _, crop = crop_part(image, foreground_mask(image, dilate=0), 0.1)
    coverage = unalign(np.ones((crop.height, crop.width), np.float32), crop.matrix, 0.0, image.shape)
    assert 0.05 < (coverage > 0).mean() < 0.5  # the crop is the screw's neighbourhood, not the whole plate
    assert not amap[coverage == 0].any()
    assert (amap[coverage > 0.99] > 0).mean() > 0.9


def test_gamma_references_are_fitted_once_saved_and_undo_a_gamma_drift(
    screw: Callable[..., np.ndarray], tmp_path: Path
) -> None:
    detector = untrained(GANomalyDetector, roi="otsu", gamma=True)
    train = [screw(float(a), seed=i) for i, a in enumerate(range(0, 60, 10))]
    detector.fit_gamma(train)
    fitted = detector.gamma_
    part, plate = fitted
    assert 0.3 < part < 0.5 and 0.75 < plate < 0.85  # geometric means of the dark screw and the bright plate
    detector.calibrate([screw(15.0, seed=9), screw(45.0, seed=10)])
    assert detector.gamma_ == fitted  # calibration does not refit what training fitted

    image = screw(25.0, seed=11)
    drifted = image.clip(0, 1) ** 0.7
    same = np.isclose(detector.anomaly_map(drifted)[0], detector.anomaly_map(image)[0], atol=1e-3)
    assert same.mean() > 0.99  # 0.79 without gamma correction
    detector.save(tmp_path / "model")
    loaded = GANomalyDetector.load(tmp_path / "model")
    assert loaded.gamma_ == fitted and loaded.config == detector.config
    np.testing.assert_allclose(loaded.score([image, drifted]), detector.score([image, drifted]), atol=1e-6)

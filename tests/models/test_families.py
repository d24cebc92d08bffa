"""Every model family through the one detector interface: registry, configuration checks, alignment."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from aoikit.config import config_from_values
from aoikit.errors import AoikitError
from aoikit.models.families import FAMILIES, detector_class, model_names
from aoikit.models.ganomaly.detector import GANomalyDetector, GANomalyDetectorConfig
from aoikit.models.ssim_ae.detector import SSIMAEDetector, SSIMAEDetectorConfig

TINY_CONFIGS = {
    SSIMAEDetector: SSIMAEDetectorConfig(model_config={"latent_dim": 8}, image_size=160, patch_size=32, stride=16),
    GANomalyDetector: GANomalyDetectorConfig(model_config={"latent_dim": 8, "ngf": 8, "ndf": 8}, image_size=64),
}


def test_every_model_name_belongs_to_one_family_and_unknown_names_say_what_is_known() -> None:
    names = model_names()
    assert len(names) == len(set(names)) == sum(len(n) for n in FAMILIES.values())
    assert {detector_class(n).family for n in names} >= {"ssim_ae", "ganomaly"}
    with pytest.raises(AoikitError, match=r"unknown model 'nope'; known models: .*ganomaly-l1-l1"):
        detector_class("nope")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"detector": {"window": 4}}, "window must be an odd number"),
        ({"detector": {"window": "eleven"}}, "detector.window: expected int"),
        ({"detector": {"model": "ganomaly-ssim-l1", "stride": 64}}, "stride: not an option of the ganomaly family"),
        ({"detector": {"model": "ganomaly-ssim-l1"}, "train": {"patches_per_epoch": 8}}, "patches_per_epoch"),
        ({"detector": {"model": "ssim_ae", "model_config": {"patch_size": 64}}}, "detector.patch_size"),
        ({"detector": {"model": "ssim_ae", "patch_size": 100}}, "multiple of 16"),
        ({"detector": {"model": "ssim_ae"}, "train": {"epochs": "ten"}}, "train.epochs: expected int"),
        ({"detector": {"model": "ssim_ae"}, "train": {"lr": "fast"}}, "train.lr: expected float"),
        ({"train": {"batch_size": 2.5}}, "train.batch_size: expected int"),
        ({"val_fraction": 1.5}, "val_fraction must lie strictly between 0 and 1"),
        ({"detector": {"image_size": 7}}, "image_size"),
        ({"detector": {"roi": "edges"}}, "roi must be 'none', 'otsu' or a grey level in"),
        ({"detector": {"roi": 1.5}}, "roi must be 'none', 'otsu' or a grey level in"),
        ({"detector": {"roi": True}}, "detector.roi: expected str or float"),
        ({"detector": {"roi_margin": -0.1}}, "roi_margin must lie in"),
        ({"detector": {"roi": "otsu", "align": True}}, "roi and align both set the part's pose"),
        ({"detector": {"model": "unet", "roi": 0.4}}, "align and roi are not available for the supervised family"),
    ],
)
def test_configuration_is_checked_once_when_resolved(values: dict, message: str) -> None:
    with pytest.raises(AoikitError, match=message) as info:
        config_from_values(values)
    assert "\n" not in str(info.value)


def test_one_window_sets_maps_and_training_loss_unless_both_are_given() -> None:
    assert config_from_values({"detector": {"model": "ssim_ae", "window": 7}}).train.window_size == 7
    both = config_from_values({"detector": {"model": "ssim_ae", "window": 7}, "train": {"window_size": 15}})
    assert (both.detector.window, both.train.window_size) == (7, 15)
    gan = config_from_values({"detector": {"model": "ganomaly-ssim-ssim", "window": 9}})
    assert gan.detector.preset().window_size == 9 and gan.detector.preset().score_config().window_size == 9


@pytest.mark.parametrize("family", list(TINY_CONFIGS))
def test_aligned_maps_follow_the_part_for_every_family(family: type, screw: Callable[..., np.ndarray]) -> None:
    """The same part at two angles gives the same map, turned: alignment works the same in every family."""
    from dataclasses import replace

    config = replace(TINY_CONFIGS[family], align=True)
    untrained = family(config)
    detector = family.from_model(untrained.build_model(), config)
    upright, turned = screw(0.0, seed=1), np.ascontiguousarray(np.rot90(screw(0.0, seed=1)))
    map_upright, map_turned = detector.anomaly_map(upright)[0], detector.anomaly_map(turned)[0]
    assert map_upright.shape == upright.shape
    assert np.corrcoef(np.rot90(map_upright).ravel(), map_turned.ravel())[0, 1] > 0.9


@pytest.mark.parametrize("family", list(TINY_CONFIGS))
def test_every_family_calibrates_predicts_a_batch_and_round_trips(
    family: type, screw: Callable[..., np.ndarray], tmp_path: Path
) -> None:
    config = TINY_CONFIGS[family]
    detector = family.from_model(family(config).build_model(), config)
    detector.calibrate([screw(float(a), seed=i) for i, a in enumerate(range(0, 60, 10))])
    images = [screw(15.0, seed=7), screw(35.0, seed=8)]
    results = detector.predict(images)
    assert [r.anomaly_map.shape for r in results] == [im.shape for im in images]
    assert all(r.pred_label == int(r.pred_score > detector.image_threshold_) for r in results)
    detector.save(tmp_path / "model")
    loaded = family.load(tmp_path / "model")
    np.testing.assert_allclose(loaded.score(images), detector.score(images), rtol=1e-5, atol=1e-6)
    assert loaded.config == detector.config

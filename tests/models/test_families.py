"""Every model family through the one detector interface: registry, configuration checks, alignment."""

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from aoikit.config import config_from_values
from aoikit.detector import Detector, DetectorConfig
from aoikit.errors import AoikitError
from aoikit.models.families import DEFAULT_MODEL, FAMILIES, detector_class, model_names


def test_every_model_name_belongs_to_one_family_and_unknown_names_say_what_is_known() -> None:
    names = model_names()
    assert len(names) == len(set(names)) == sum(len(f.model_names) for f in FAMILIES)
    assert {detector_class(n) for n in names} == set(FAMILIES) and DEFAULT_MODEL in names
    with pytest.raises(AoikitError, match=r"unknown model 'nope'; known models: .*ganomaly-l1-l1"):
        detector_class("nope")


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.family)
def test_every_model_name_of_a_family_resolves_to_its_configuration(family: type[Detector]) -> None:
    for name in family.model_names:
        run = config_from_values({"detector": {"model": name}})
        assert type(run.detector) is family.config_cls and run.detector.model == name
        assert isinstance(run.train, family.train_config_cls)


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


def _ready(family: type[Detector], config: DetectorConfig, screw: Callable[..., np.ndarray], folder: Path) -> Detector:
    """A detector of ``family`` that maps: its untrained network, or, for a family with nothing to train (no
    ``build_model``), fitted on a few good parts."""
    if hasattr(family, "build_model"):
        return family.from_model(family(config).build_model(), config)
    goods = [screw(float(a), seed=50 + a) for a in range(0, 90, 10)]
    return family(config).fit(goods[:6], goods[6:], folder)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.family)
def test_aligned_maps_follow_the_part_for_every_family(
    family: type[Detector], screw: Callable[..., np.ndarray], tmp_path: Path
) -> None:
    """The same part at two angles gives the same map, turned: alignment works the same in every family that
    aligns."""
    try:
        config = replace(family.tiny_config(), align=True)
    except AoikitError as exc:
        pytest.skip(f"the {family.family} family does not align: {exc}")
    detector = _ready(family, config, screw, tmp_path)
    upright, turned = screw(0.0, seed=1), np.ascontiguousarray(np.rot90(screw(0.0, seed=1)))
    map_upright, map_turned = detector.anomaly_map(upright)[0], detector.anomaly_map(turned)[0]
    assert map_upright.shape == upright.shape
    assert np.corrcoef(np.rot90(map_upright).ravel(), map_turned.ravel())[0, 1] > 0.9


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.family)
def test_every_family_calibrates_predicts_a_batch_and_round_trips(
    family: type[Detector], screw: Callable[..., np.ndarray], tmp_path: Path
) -> None:
    detector = _ready(family, family.tiny_config(), screw, tmp_path / "fit")
    detector.calibrate([screw(float(a), seed=i) for i, a in enumerate(range(0, 60, 10))])
    images = [screw(15.0, seed=7), screw(35.0, seed=8)]
    results = detector.predict(images)
    assert [r.anomaly_map.shape for r in results] == [im.shape for im in images]
    assert all(r.pred_label == int(r.pred_score > detector.image_threshold_) for r in results)
    detector.save(tmp_path / "model")
    loaded = family.load(tmp_path / "model")
    np.testing.assert_allclose(loaded.score(images), detector.score(images), rtol=1e-5, atol=1e-6)
    assert loaded.config == detector.config

"""The supervised family: finds and names defect types it was shown, resumes exactly, round-trips, refuses
what it cannot learn from, and runs through the same commands as the others."""

from pathlib import Path

import cv2
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from aoikit.cli import app
from aoikit.errors import AoikitError
from aoikit.models.families import detector_class
from aoikit.models.ssim_ae.detector import SSIMAEDetector, SSIMAEDetectorConfig
from aoikit.models.unet.detector import UNetDetector, UNetDetectorConfig
from aoikit.models.unet.loop import SegTrainConfig
from aoikit.types import LabelledImage

TINY = UNetDetectorConfig(image_size=64, model_config={"width": 8, "depth": 2, "stem": 2}, score_sigma=2.0)


def _train_config(**changes: object) -> SegTrainConfig:
    values: dict = {"epochs": 4, "steps_per_epoch": 30, "batch_size": 8, "crop_size": 32, "lr": 3e-3, "threads": 1}
    return SegTrainConfig(**{**values, **changes})


def good(seed: int) -> np.ndarray:
    """A tilted grey ramp with fine noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:64, 0:64] / 64
    ramp = 0.5 + 0.2 * (rng.uniform(-1, 1) * xx + rng.uniform(-1, 1) * yy)
    return np.clip(ramp + 0.03 * rng.standard_normal((64, 64)), 0, 1).astype(np.float32)


def defective(seed: int, kind: str) -> LabelledImage:
    """A dark spot or a bright scratch at a seed-dependent place."""
    rng = np.random.default_rng(seed + 1000)
    image, mask = good(seed), np.zeros((64, 64), np.uint8)
    x, y = (int(v) for v in rng.integers(14, 50, size=2))
    if kind == "spot":
        cv2.circle(mask, (x, y), 5, 1, -1)
        image[mask > 0] = 0.1
    else:
        cv2.line(mask, (x - 12, y - 6), (x + 12, y + 6), 1, 2)
        image[mask > 0] = 0.95
    return LabelledImage(image, mask > 0, kind)


def trained(tmp_path: Path) -> UNetDetector:
    labelled = [defective(i, kind) for i in range(8) for kind in ("spot", "scratch")]
    detector = UNetDetector(TINY, _train_config())
    return detector.fit([good(i) for i in range(12)], [good(100 + i) for i in range(4)], tmp_path, labelled=labelled)


def test_defects_of_known_types_are_found_and_named(tmp_path: Path) -> None:
    detector = trained(tmp_path)
    assert list(detector.classes_) == ["scratch", "spot"]
    tests = [defective(200 + i, kind) for i in range(3) for kind in ("spot", "scratch")]
    maps = [detector.anomaly_map(item.image)[0] for item in tests]
    truth = np.concatenate([item.mask.ravel() for item in tests])
    assert roc_auc_score(truth, np.concatenate([m.ravel() for m in maps])) > 0.95
    named = [detector.defect_types(item.image, [item.mask])[0] for item in tests]
    assert named == [item.defect_type for item in tests]
    assert detector.score([t.image for t in tests]).min() > detector.score([good(300 + i) for i in range(4)]).max()


def test_save_and_load_give_the_same_maps_and_types(tmp_path: Path) -> None:
    detector = trained(tmp_path)
    loaded = detector_class("unet").load(tmp_path / "model")
    assert isinstance(loaded, UNetDetector)
    item = defective(400, "spot")
    np.testing.assert_array_equal(loaded.anomaly_map(item.image)[0], detector.anomaly_map(item.image)[0])
    assert (list(loaded.classes_), loaded.threshold_) == (list(detector.classes_), detector.threshold_)


def test_training_resumes_where_it_stopped(tmp_path: Path) -> None:
    train, val = [good(i) for i in range(4)], [good(100 + i) for i in range(2)]
    labelled = [defective(i, "spot") for i in range(4)]
    short = _train_config(epochs=2, steps_per_epoch=3)
    straight = UNetDetector(TINY, short).fit(train, val, tmp_path / "straight", labelled=labelled)
    UNetDetector(TINY, _train_config(epochs=1, steps_per_epoch=3)).fit(train, val, tmp_path / "cut", labelled=labelled)
    resumed = UNetDetector(TINY, short).fit(train, val, tmp_path / "cut", resume=True, labelled=labelled)
    assert [r["epoch"] for r in resumed.history_] == [1, 2]
    assert [r["loss"] for r in resumed.history_] == pytest.approx([r["loss"] for r in straight.history_])


def test_supervised_and_unsupervised_families_refuse_the_wrong_data(tmp_path: Path) -> None:
    train, val = [good(i) for i in range(3)], [good(9)]
    with pytest.raises(AoikitError, match="unet family needs labelled defect images"):
        UNetDetector(TINY, _train_config()).fit(train, val, tmp_path)
    ssim = SSIMAEDetector(SSIMAEDetectorConfig(model_config={"latent_dim": 8}, image_size=64, patch_size=32))
    with pytest.raises(AoikitError, match="ssim_ae family learns from good images only"):
        ssim.fit(train, val, tmp_path, labelled=[defective(0, "spot")])
    wrong = LabelledImage(good(0), np.zeros((8, 8), bool), "spot")
    with pytest.raises(AoikitError, match="mask of shape"):
        UNetDetector(TINY, _train_config()).fit(train, val, tmp_path, labelled=[wrong])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"align": True}, "align and roi are not available"),
        ({"roi": "otsu"}, "align and roi are not available"),
        ({"model_config": {"classes": 3}}, "unknown model_config option"),
        ({"image_size": 60}, "multiple of 8"),
    ],
)
def test_configuration_errors(changes: dict, message: str) -> None:
    with pytest.raises(AoikitError, match=message):
        UNetDetectorConfig(**{"model_config": {"width": 8, "depth": 2, "stem": 2}, **changes})


runner = CliRunner()
CONFIG = (
    "detector: {model: unet, image_size: 64, score_sigma: 2.0, model_config: {width: 8, depth: 2, stem: 2}}\n"
    "train: {epochs: 3, steps_per_epoch: 30, crop_size: 32, lr: 0.003, threads: 1}\n"
)


def labelled_folder(root: Path, seeds: range) -> Path:
    """good/, defect/<type>/ and masks/<type>/ of 64-px synthetic images."""
    for seed in seeds:
        cv2.imwrite(str(_path(root / "good", f"g{seed}.png")), (good(seed) * 255).astype(np.uint8))
        for kind in ("spot", "scratch"):
            item = defective(seed, kind)
            cv2.imwrite(str(_path(root / "defect" / kind, f"d{seed}.png")), (item.image * 255).astype(np.uint8))
            cv2.imwrite(str(_path(root / "masks" / kind, f"d{seed}.png")), item.mask.astype(np.uint8) * 255)
    return root


def _path(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def test_train_evaluate_and_prelabel_a_supervised_run(tmp_path: Path, tiny_dataset: Path) -> None:
    data, held_out = labelled_folder(tmp_path / "train", range(10)), labelled_folder(tmp_path / "test", range(50, 56))
    (tmp_path / "unet.yaml").write_text(CONFIG)
    run = tmp_path / "run"
    args = ["train", "--config", str(tmp_path / "unet.yaml"), "--data", str(data), "--out", str(run)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (run / "model" / "model.safetensors").exists()

    own = runner.invoke(app, ["evaluate", "--run", str(run)])
    assert own.exit_code == 2 and "evaluate it on a held-out folder with --data" in own.output
    result = runner.invoke(app, ["evaluate", "--run", str(run), "--data", str(held_out), "--panels", "1"])
    assert result.exit_code == 0, result.output
    assert (run / "eval" / "metrics.json").exists()

    labels = tmp_path / "labels"
    images = held_out / "defect" / "spot"
    result = runner.invoke(app, ["prelabel", "--run", str(run), "--images", str(images), "--out", str(labels)])
    assert result.exit_code == 0, result.output

    mvtec = runner.invoke(app, [*args[:-4], "--data", str(tiny_dataset), "--out", str(tmp_path / "no")])
    assert mvtec.exit_code == 2 and "defect images are its test set" in mvtec.output

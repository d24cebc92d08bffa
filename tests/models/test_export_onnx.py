"""ONNX export of every family: one folder, maps and scores within 1e-4 of torch, the backend reported.

"Within 1e-4" is absolute for values of order one (reconstructions, 1 − SSIM maps, GANomaly scores) and relative
to the largest value for position-standardised maps: those divide residuals by a per-pixel standard deviation
(floor about 0.02 here), which scales float32 rounding (1e-7 in the reconstruction, 2e-5 in 1 − SSIM) with them.
"""

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from aoikit.cli import app
from aoikit.detector import Detector
from aoikit.errors import AoikitError
from aoikit.export import MANIFEST, export_detector, load_exported
from aoikit.models.draem.detector import DRAEMDetector, DRAEMDetectorConfig
from aoikit.models.families import FAMILIES
from aoikit.models.ganomaly.detector import GANomalyDetector, GANomalyDetectorConfig
from aoikit.models.patchcore.config import PatchCoreConfig
from aoikit.models.patchcore.detector import PatchCoreDetector
from aoikit.models.ssim_ae.detector import SSIMAEDetector, SSIMAEDetectorConfig
from aoikit.models.unet.detector import UNetDetector, UNetDetectorConfig
from aoikit.runs import load_run

pytest.importorskip("onnxruntime")

# Every option that adds state to the export: intensity and gamma references, alignment, part crop, position
# statistics, area score.
CONFIGS: dict[type[Detector], object] = {
    SSIMAEDetector: SSIMAEDetectorConfig(
        model_config={"latent_dim": 8},
        image_size=160,
        patch_size=32,
        stride=16,
        map_sigma=2.0,
        match_intensity=True,
        align=True,
        position_norm=True,
        image_score="area",
    ),
    GANomalyDetector: GANomalyDetectorConfig(
        model="ganomaly-ssim-l1",
        model_config={"latent_dim": 8, "ngf": 8, "ndf": 8},
        image_size=64,
        roi="otsu",
        gamma=True,
    ),
    DRAEMDetector: DRAEMDetectorConfig(image_size=64, match_intensity=True, align=True),
    PatchCoreDetector: PatchCoreConfig(image_size=64, max_candidates=2048, roi="otsu", gamma=True),
    UNetDetector: UNetDetectorConfig(
        image_size=64,
        match_intensity=True,
        gamma=True,
        image_score="area",
        model_config={"width": 8, "depth": 2, "stem": 2},
    ),
}


def calibrated(family: type[Detector], screw: Callable[..., np.ndarray]) -> Detector:
    config = CONFIGS[family]
    goods = [screw(float(a), seed=i) for i, a in enumerate(range(0, 90, 18))]
    if family is PatchCoreDetector:  # nothing to train: fitted on good parts as it always is
        with tempfile.TemporaryDirectory() as tmp:
            return family(config).fit([screw(float(a), seed=50 + a) for a in range(0, 90, 10)], goods, Path(tmp))
    detector = family.from_model(family(config).build_model(), config)  # type: ignore[attr-defined]
    return detector.calibrate(goods)


def assert_close(actual: np.ndarray, expected: np.ndarray) -> None:
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-4 * scale)


def test_every_family_is_covered() -> None:
    assert set(CONFIGS) == set(FAMILIES)


@pytest.mark.parametrize("family", list(CONFIGS))
def test_exported_detector_matches_torch_within_1e4(
    family: type[Detector], screw: Callable[..., np.ndarray], tmp_path: Path
) -> None:
    detector = calibrated(family, screw).use_backend("torch")
    export_detector(detector, tmp_path / "export", source="test")
    written = {p.name for p in (tmp_path / "export").iterdir()}
    assert {"config.json", "model.safetensors", "model.onnx", MANIFEST} <= written
    served = load_exported(tmp_path / "export")
    assert (served.backend, detector.backend) == ("onnxruntime", "torch")
    assert (served.threshold_, served.image_threshold_) == (detector.threshold_, detector.image_threshold_)
    images = [screw(25.0, seed=20), screw(70.0, shift=(6, -4), seed=21)]
    expected, got = detector.analyse_many(images), served.analyse_many(images)
    w = detector.config.window
    for a, b in zip(got, expected, strict=True):
        assert_close(a.maps[w], b.maps[w])
        np.testing.assert_allclose(a.reconstruction, b.reconstruction, rtol=0, atol=1e-4)
    assert_close(served.image_scores(got, w), detector.image_scores(expected, w))
    assert [r.pred_label for r in served.predict(images)] == [r.pred_label for r in detector.predict(images)]
    assert load_exported(tmp_path / "export", backend="torch").backend == "torch"


def test_run_folders_and_export_folders_load_alike_and_the_cli_exports(
    screw: Callable[..., np.ndarray], tmp_path: Path
) -> None:
    detector = calibrated(SSIMAEDetector, screw)
    detector.save(tmp_path / "run" / "model")
    result = CliRunner().invoke(app, ["export", "--run", str(tmp_path / "run"), "--format", "onnx"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "run" / "export-onnx"
    assert "backend here: onnxruntime" in result.output
    assert json.loads((folder / MANIFEST).read_text())["model"] == "ssim_ae"
    image = screw(40.0, seed=30)
    from_run, from_export = load_run(tmp_path / "run"), load_run(folder)
    assert (from_run.backend, from_export.backend) == ("torch", "onnxruntime")
    np.testing.assert_allclose(from_export.score([image]), from_run.score([image]), rtol=0, atol=1e-4)

    again = CliRunner().invoke(app, ["export", "--run", str(tmp_path / "run")])
    assert again.exit_code == 2 and "--overwrite" in again.output
    assert CliRunner().invoke(app, ["export", "--run", str(tmp_path / "run"), "--overwrite"]).exit_code == 0
    bad = CliRunner().invoke(app, ["export", "--run", str(tmp_path / "run"), "--format", "tflite"])
    assert bad.exit_code == 2 and "unknown export format 'tflite'" in bad.output


def test_export_refuses_a_folder_with_other_files_and_loading_a_non_export_says_so(
    screw: Callable[..., np.ndarray], tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(AoikitError, match="holds other files"):
        export_detector(calibrated(SSIMAEDetector, screw), tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    with pytest.raises(AoikitError, match="not an export folder"):
        load_exported(tmp_path)
    with pytest.raises(AoikitError, match="unknown backend 'tensorrt'"):
        calibrated(SSIMAEDetector, screw).use_backend("tensorrt")

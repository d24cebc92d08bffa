"""The command line: train, predict, evaluate, and one-line errors on bad input."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from aoikit.cli import app
from aoikit.models.ssim_ae.detector import Detector

runner = CliRunner()
TINY = ["--image-size", "128", "--latent-dim", "16", "--epochs", "1", "--patches-per-epoch", "16", "--threads", "1"]


@pytest.fixture(scope="module")
def run_dir(tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "run"
    result = runner.invoke(app, ["train", "--data", str(tiny_dataset), "--out", str(out), *TINY])
    assert result.exit_code == 0, result.output
    return out


def test_train_saves_resolved_config_and_model(run_dir: Path) -> None:
    text = (run_dir / "config.yaml").read_text()
    assert "latent_dim: 16" in text and "epochs: 1" in text
    assert (run_dir / "model" / "config.json").exists()
    assert (run_dir / "history.csv").read_text().count("\n") == 2


def test_train_resume_continues_to_more_epochs(run_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--out", str(run_dir), "--resume", "--epochs", "2"])
    assert result.exit_code == 0, result.output
    assert (run_dir / "history.csv").read_text().count("\n") == 3


def test_train_with_matched_intensity_saves_the_reference(tiny_dataset: Path, tmp_path: Path) -> None:
    args = ["train", "--data", str(tiny_dataset), "--out", str(tmp_path), "--match-intensity"]
    result = runner.invoke(app, [*args, *TINY])
    assert result.exit_code == 0, result.output
    assert "match_intensity: true" in (tmp_path / "config.yaml").read_text()
    mean, std = Detector.load(tmp_path / "model").intensity_
    assert 0.0 < mean < 1.0 and 0.0 < std < 0.5


def test_position_statistics_without_alignment_is_refused_before_training(tiny_dataset: Path, tmp_path: Path) -> None:
    args = ["train", "--data", str(tiny_dataset), "--out", str(tmp_path / "r"), "--position-norm", *TINY]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "position_norm needs align" in result.output
    assert not (tmp_path / "r").exists()


def test_predict_writes_panels(run_dir: Path, tiny_dataset: Path, tmp_path: Path) -> None:
    images = sorted((tiny_dataset / "test").glob("*/*.png"))[:2]
    result = runner.invoke(app, ["predict", "--run", str(run_dir), "--out", str(tmp_path), *map(str, images)])
    assert result.exit_code == 0, result.output
    assert len(list(tmp_path.glob("*_panel.png"))) == 2
    assert "score" in result.output


def test_evaluate_flat_baseline_writes_report(tiny_dataset: Path, tmp_path: Path) -> None:
    args = ["evaluate", "--baseline", "flat", "--data", str(tiny_dataset), "--out", str(tmp_path), "--panels", "2"]
    result = runner.invoke(app, [*args, "--windows", "7", "--windows", "15"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "metrics.json").exists() and (tmp_path / "roc.png").exists()
    assert "window  7" in result.output and "window 15" in result.output
    assert len(list((tmp_path / "panels").glob("*.png"))) == 2
    assert "defective flagged (TPR)" in (tmp_path / "summary.md").read_text()


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--data", "/nonexistent/place", "--out", "{tmp}/r"],
        ["train", "--out", "{tmp}/r"],
        ["predict", "--run", "{tmp}", "x.png"],
        ["train", "--data", "{tmp}", "--out", "{tmp}/r", "--model", "nope"],
    ],
)
def test_bad_input_is_one_line_without_traceback(args: list[str], tmp_path: Path) -> None:
    result = runner.invoke(app, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0 and result.output.startswith("aoikit: error:")


def test_prelabel_writes_every_format(run_dir: Path, tiny_dataset: Path, tmp_path: Path) -> None:
    args = ["prelabel", "--run", str(run_dir), "--images", str(tiny_dataset / "test"), "--out", str(tmp_path)]
    result = runner.invoke(app, [*args, "--formats", "coco,yolo,voc,labelme,cvat,labelstudio"])
    assert result.exit_code == 0, result.output
    for folder in ("coco", "yolo", "voc", "labelme", "cvat", "labelstudio", "overlays"):
        assert any((tmp_path / folder).rglob("*")), folder
    assert len(list((tmp_path / "overlays").glob("*.png"))) == len(list((tiny_dataset / "test").rglob("*.png")))


def test_prelabel_rejects_unknown_format(run_dir: Path, tiny_dataset: Path, tmp_path: Path) -> None:
    args = ["prelabel", "--run", str(run_dir), "--images", str(tiny_dataset / "test"), "--out", str(tmp_path)]
    result = runner.invoke(app, [*args, "--formats", "coco,pdf"])
    assert result.exit_code == 2 and "pdf" in result.output


def test_ganomaly_preset_trains_and_predicts(tiny_dataset: Path, tmp_path: Path) -> None:
    config = tmp_path / "gan.yaml"
    config.write_text("detector: {model: ganomaly-ssim-ssim, model_config: {ngf: 8, ndf: 8, image_size: 64}}\n")
    out = tmp_path / "gan"
    args = ["train", "--data", str(tiny_dataset), "--out", str(out), "--config", str(config), "--epochs", "1"]
    result = runner.invoke(app, [*args, "--threads", "1"])
    assert result.exit_code == 0, result.output
    image = sorted((tiny_dataset / "test").glob("*/*.png"))[0]
    result = runner.invoke(app, ["predict", "--run", str(out), "--out", str(tmp_path / "p"), str(image)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p" / f"{image.stem}_panel.png").exists()
    result = runner.invoke(app, ["evaluate", "--run", str(out)])
    assert result.exit_code == 2 and "aoikit compare" in result.output

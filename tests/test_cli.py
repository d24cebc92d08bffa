"""The command line: train, predict, evaluate, and one-line errors on bad input."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from aoikit.cli import app
from aoikit.models.ssim_ae.detector import SSIMAEDetector

runner = CliRunner()
TINY = [
    "--model",
    "ssim_ae",
    "--image-size",
    "128",
    "--latent-dim",
    "16",
    "--epochs",
    "1",
    "--patches-per-epoch",
    "16",
    "--threads",
    "1",
]


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
    mean, std = SSIMAEDetector.load(tmp_path / "model").intensity_
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
    result = runner.invoke(app, [*args, "--windows", "7", "15", "--windows", "11"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "metrics.json").exists() and (tmp_path / "roc.png").exists()
    assert all(f"window {w:2d}" in result.output for w in (7, 11, 15))
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


def test_ganomaly_trains_predicts_evaluates_and_prelabels_through_the_same_commands(
    tiny_dataset: Path, tmp_path: Path
) -> None:
    config = tmp_path / "gan.yaml"
    config.write_text("detector: {model: ganomaly-ssim-ssim, image_size: 64, model_config: {ngf: 8, ndf: 8}}\n")
    out = tmp_path / "gan"
    args = ["train", "--data", str(tiny_dataset), "--out", str(out), "--config", str(config), "--epochs", "1"]
    result = runner.invoke(app, [*args, "--threads", "1", "--match-intensity", "--window", "9"])
    assert result.exit_code == 0, result.output
    assert "window: 9" in (out / "config.yaml").read_text()
    image = sorted((tiny_dataset / "test").glob("*/*.png"))[0]
    result = runner.invoke(app, ["predict", "--run", str(out), "--out", str(tmp_path / "p"), str(image)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p" / f"{image.stem}_panel.png").exists()
    result = runner.invoke(app, ["evaluate", "--run", str(out), "--panels", "1"])
    assert result.exit_code == 0, result.output
    assert "window  9" in result.output and (out / "eval" / "metrics.json").exists()
    labels = tmp_path / "labels"
    result = runner.invoke(app, ["prelabel", "--run", str(out), "--images", str(image.parent), "--out", str(labels)])
    assert result.exit_code == 0, result.output
    assert any((labels / "coco").rglob("*.json"))


def test_an_option_the_family_does_not_use_is_refused_before_anything_is_written(
    tiny_dataset: Path, tmp_path: Path
) -> None:
    args = ["train", "--data", str(tiny_dataset), "--out", str(tmp_path / "r"), "--model", "ganomaly-l1-l1"]
    result = runner.invoke(app, [*args, "--patches-per-epoch", "8"])
    assert result.exit_code == 2 and "patches_per_epoch: not an option of the ganomaly family" in result.output
    assert not (tmp_path / "r").exists()


def test_an_existing_run_is_never_silently_replaced(run_dir: Path, tiny_dataset: Path, tmp_path: Path) -> None:
    before = (run_dir / "history.csv").read_text()
    result = runner.invoke(app, ["train", "--data", str(tiny_dataset), "--out", str(run_dir), *TINY])
    assert result.exit_code == 2 and "--resume" in result.output and "--overwrite" in result.output
    assert (run_dir / "history.csv").read_text() == before
    result = runner.invoke(app, ["train", "--out", str(tmp_path / "none"), "--resume"])
    assert result.exit_code == 2 and "no run to resume" in result.output
    result = runner.invoke(app, ["train", "--out", str(run_dir), "--resume", "--window", "7"])
    assert result.exit_code == 2 and "cannot change detector.window" in result.output
    assert (run_dir / "history.csv").read_text() == before and "window: 11" in (run_dir / "config.yaml").read_text()

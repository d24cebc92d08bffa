"""Bad input and interrupted work on the training and inference commands: exit 2 with one line naming the file
or option, and nothing acknowledged lost or silently overwritten."""

import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from aoikit.cli import app
from aoikit.models.ssim_ae.detector import SSIMAEDetector, SSIMAEDetectorConfig

runner = CliRunner()
TINY = [
    "--model",
    "ssim_ae",
    "--image-size",
    "128",
    "--latent-dim",
    "8",
    "--epochs",
    "1",
    "--patches-per-epoch",
    "16",
    "--threads",
    "1",
]


def _one_line_error(result: object, *needles: str) -> None:
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 2, output  # type: ignore[attr-defined]
    message = [line for line in output.splitlines() if line.startswith("aoikit: error:")]
    assert len(message) == 1 and "Traceback" not in output, output
    assert message[0] == output.strip().splitlines()[-1]
    for needle in needles:
        assert needle in message[0], message[0]


def _png_header(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb, without the pixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )
    return path


@pytest.fixture(scope="module")
def run_dir(tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("robust") / "run"
    result = runner.invoke(app, ["train", "--data", str(tiny_dataset), "--out", str(out), *TINY])
    assert result.exit_code == 0, result.output
    return out


def _copy_dataset(tiny_dataset: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny_dataset, tmp_path / "data"))


def test_a_decompression_bomb_is_refused_in_train_and_predict(
    run_dir: Path, tiny_dataset: Path, tmp_path: Path
) -> None:
    data = _copy_dataset(tiny_dataset, tmp_path)
    bomb = _png_header(data / "train" / "good" / "bomb.png", 100_000, 100_000)
    result = runner.invoke(app, ["train", "--data", str(data), "--out", str(tmp_path / "r"), *TINY])
    _one_line_error(result, "bomb.png", "64 megapixels")
    result = runner.invoke(app, ["predict", "--run", str(run_dir), "--out", str(tmp_path / "p"), str(bomb)])
    _one_line_error(result, "bomb.png", "megapixels")


@pytest.mark.parametrize("count", [1, 2])
def test_too_few_good_images_says_how_many_are_needed(count: int, tmp_path: Path) -> None:
    good = tmp_path / "folder" / "good"
    good.mkdir(parents=True)
    for i in range(count):
        Image.fromarray(np.full((64, 64), 100 + i, np.uint8)).save(good / f"{i}.png")
    for folder in ("defect", "masks"):
        (tmp_path / "folder" / folder).mkdir()
        Image.fromarray(np.full((64, 64), 255, np.uint8)).save(tmp_path / "folder" / folder / "d.png")
    result = runner.invoke(app, ["train", "--data", str(tmp_path / "folder"), "--out", str(tmp_path / "r"), *TINY])
    _one_line_error(result, "good training image(s)", "need at least 3")
    assert not (tmp_path / "r").exists()


def test_out_that_is_a_file_or_cannot_be_written(tiny_dataset: Path, tmp_path: Path) -> None:
    existing = tmp_path / "file.txt"
    existing.write_text("keep me")
    result = runner.invoke(app, ["train", "--data", str(tiny_dataset), "--out", str(existing), *TINY])
    _one_line_error(result, "file.txt", "not a folder")
    assert existing.read_text() == "keep me"
    if Path("/proc/self").is_dir():  # root may write anywhere else, but never under /proc
        result = runner.invoke(app, ["train", "--data", str(tiny_dataset), "--out", "/proc/aoikit-run", *TINY])
        _one_line_error(result, "/proc/aoikit-run", "cannot write")


@pytest.mark.parametrize(
    ("yaml_text", "needle"),
    [
        ('detector: {model: ssim_ae}\ntrain: {epochs: "ten"}', "train.epochs: expected int"),
        ('detector: {model: ssim_ae}\ntrain: {lr: "fast"}', "train.lr: expected float"),
        ("train: {batch_size: 2.5}", "train.batch_size: expected int"),
        ("val_fraction: 1.5", "val_fraction"),
        ("detector: {patch_size: 100}", "patch_size"),
        ('detector: {window: "eleven"}', "detector.window: expected int"),
        ("detector: {window: 8}", "window must be an odd number"),
    ],
)
def test_wrong_types_and_values_in_yaml_name_the_file_and_option(
    yaml_text: str, needle: str, tiny_dataset: Path, tmp_path: Path
) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(yaml_text + "\n")
    args = ["train", "--data", str(tiny_dataset), "--out", str(tmp_path / "r"), "--config", str(config)]
    _one_line_error(runner.invoke(app, args), "bad.yaml", needle)
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["train", "--data", "{data}", "--out", "{tmp}/r", "--image-size", "7"], "image_size"),
        (["train", "--data", "{data}", "--out", "{tmp}/r", "--window", "4"], "window"),
        (["evaluate", "--run", "{run}", "--windows", "4"], "--windows"),
        (["evaluate", "--run", "{run}", "--panels", "-1"], "--panels"),
    ],
)
def test_bad_numbers_on_the_command_line_fail_before_any_work(
    args: list[str], needle: str, run_dir: Path, tiny_dataset: Path, tmp_path: Path
) -> None:
    filled = [a.format(data=tiny_dataset, tmp=tmp_path, run=run_dir) for a in args]
    _one_line_error(runner.invoke(app, filled), needle)
    assert not (tmp_path / "r").exists() and not (run_dir / "eval").exists()


@pytest.mark.parametrize(
    "corruption", ["{not json", '{"model": "ssim_ae", "detector": {"model": "ssim_ae"}}', "threshold"]
)
def test_a_broken_model_config_is_one_line(corruption: str, run_dir: Path, tiny_dataset: Path, tmp_path: Path) -> None:
    run = Path(shutil.copytree(run_dir, tmp_path / "run"))
    config = run / "model" / "config.json"
    if corruption == "threshold":
        config.write_text(config.read_text().replace('"threshold_": ', '"threshold_": "high", "was": '))
    else:
        config.write_text(corruption)
    image = next((tiny_dataset / "test").rglob("*.png"))
    _one_line_error(
        runner.invoke(app, ["predict", "--run", str(run), "--out", str(tmp_path / "p"), str(image)]), "config"
    )


def test_weights_that_do_not_fit_are_one_line(run_dir: Path, tiny_dataset: Path, tmp_path: Path) -> None:
    run = Path(shutil.copytree(run_dir, tmp_path / "run"))
    config = run / "model" / "config.json"
    config.write_text(config.read_text().replace('"latent_dim": 8', '"latent_dim": 9'))
    image = next((tiny_dataset / "test").rglob("*.png"))
    result = runner.invoke(app, ["predict", "--run", str(run), "--out", str(tmp_path / "p"), str(image)])
    _one_line_error(result, "weights do not fit", "of another shape")


def test_an_error_during_a_progress_bar_starts_its_own_line(tiny_dataset: Path, tmp_path: Path) -> None:
    data = _copy_dataset(tiny_dataset, tmp_path)
    (data / "train" / "good" / "zzz_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    result = runner.invoke(app, ["train", "--data", str(data), "--out", str(tmp_path / "r"), *TINY])
    _one_line_error(result, "zzz_broken.png")


def test_resume_after_a_kill_between_the_two_renames_of_a_save(run_dir: Path, tmp_path: Path) -> None:
    run = Path(shutil.copytree(run_dir, tmp_path / "run"))
    epochs = (run / "history.csv").read_text().count("\n") - 1
    (run / "last").rename(run / ".last.old")  # killed after moving the old checkpoint aside, before the new one
    result = runner.invoke(app, ["train", "--out", str(run), "--resume", "--epochs", str(epochs + 1)])
    assert result.exit_code == 0, result.output
    assert (run / "history.csv").read_text().count("\n") - 1 == epochs + 1  # continued, not restarted


@pytest.mark.parametrize("shape", [(8, 8), (3000, 200)])
def test_a_tiny_or_stretched_image_warns_when_resized(shape: tuple[int, int]) -> None:
    config = SSIMAEDetectorConfig(model="flat", image_size=128, patch_size=128)
    detector = SSIMAEDetector.from_model(SSIMAEDetector(config).build_model(), config)
    with pytest.warns(UserWarning, match=f"{shape[0]}×{shape[1]} image is resized"):
        detector.anomaly_map(np.full(shape, 0.5, np.float32))


@pytest.mark.parametrize("command", ["predict", "evaluate", "review-export"])
def test_an_output_that_is_a_file_is_refused_on_every_command(
    command: str, run_dir: Path, tiny_dataset: Path, tmp_path: Path
) -> None:
    target = tmp_path / "taken"
    target.write_text("keep me")
    image = str(next((tiny_dataset / "test").rglob("*.png")))
    args = {
        "predict": ["predict", "--run", str(run_dir), "--out", str(target), image],
        "evaluate": ["evaluate", "--run", str(run_dir), "--out", str(target), "--panels", "0"],
        "review-export": ["review-export", str(tmp_path / "labels"), "--out", str(target)],
    }[command]
    if command == "review-export":
        labels = runner.invoke(
            app,
            [
                "prelabel",
                "--run",
                str(run_dir),
                "--images",
                str(Path(image).parent),
                "--out",
                str(tmp_path / "labels"),
                "--formats",
                "coco",
            ],
        )
        assert labels.exit_code == 0, labels.output
    _one_line_error(runner.invoke(app, args), "taken", "not a folder")
    assert target.read_text() == "keep me"

"""``aoikit prelabel`` refuses folders it would get wrong, in one line, before loading any model."""

from collections.abc import Callable
from pathlib import Path

CliError = Callable[..., str]
NO_RUN = "/nonexistent/run"  # the folders are checked first, so no model is needed


def test_missing_images_folder_is_named(cli_error: CliError, tmp_path: Path) -> None:
    line = cli_error("prelabel", "--run", NO_RUN, "--images", tmp_path / "nope", "--out", tmp_path / "out")
    assert f"{tmp_path / 'nope'}: the images folder does not exist" in line


def test_output_inside_the_images_is_refused(cli_error: CliError, labelled: tuple[Path, Path]) -> None:
    _, images = labelled
    line = cli_error("prelabel", "--run", NO_RUN, "--images", images, "--out", images / "labels")
    assert f"{images / 'labels'}: the output folder is inside the images folder" in line
    assert not (images / "labels").exists()


def test_a_folder_with_labels_is_not_written_over(cli_error: CliError, labelled: tuple[Path, Path]) -> None:
    labels, images = labelled
    (labels / "review.json").write_text("{}")
    line = cli_error("prelabel", "--run", NO_RUN, "--images", images, "--out", labels)
    assert f"{labels}: output folder not empty" in line and "--replace" in line
    assert (labels / "review.json").read_text() == "{}"


def test_only_a_prelabel_folder_is_replaced(cli_error: CliError, tmp_path: Path, labelled: tuple[Path, Path]) -> None:
    _, images = labelled
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("keep me")
    line = cli_error("prelabel", "--run", NO_RUN, "--images", images, "--out", tmp_path / "notes", "--replace")
    assert "not a pre-label folder" in line
    assert (tmp_path / "notes" / "todo.txt").read_text() == "keep me"


def test_a_region_area_under_one_pixel_is_refused(
    cli_error: CliError, labelled: tuple[Path, Path], tmp_path: Path
) -> None:
    _, images = labelled
    for area in (-1, 0):
        line = cli_error("prelabel", "--run", NO_RUN, "--images", images, "--out", tmp_path / "out", "--min-area", area)
        assert f"min_area must be at least 1 pixel, got {area}" in line
    assert not (tmp_path / "out").exists()

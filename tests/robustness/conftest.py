"""A small pre-label folder for the command-line robustness tests, and how to run the command line."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner, Result

from aoikit.cli import app
from aoikit.labels import WRITERS, ImageLabels, Region


@pytest.fixture
def labelled(tmp_path: Path) -> tuple[Path, Path]:
    """``(labels_dir, images_dir)``: one 32×24 image with one box, as COCO pre-labels with overlays."""
    images, labels = tmp_path / "images", tmp_path / "labels"
    images.mkdir()
    Image.fromarray(np.full((24, 32), 100, np.uint8)).save(images / "a.png")
    item = ImageLabels(str(images / "a.png"), 32, 24, [Region.from_box((2, 3, 10, 12), (32, 24), "anomaly", 0.9)])
    WRITERS["coco"]([item], labels / "coco", ["anomaly"])
    (labels / "overlays").mkdir()
    return labels, images


def aoikit(*args: object) -> Result:
    """Run ``aoikit ARGS`` in this process."""
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def cli_error() -> Callable[..., str]:
    """Runs ``aoikit ARGS``, asserts exit 2 with one ``aoikit: error:`` line and no traceback; returns the line."""

    def run(*args: object) -> str:
        result = aoikit(*args)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("aoikit: error: "), result.output
        return lines[0]

    return run

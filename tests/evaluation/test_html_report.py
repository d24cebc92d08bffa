"""aoikit report: one self-contained HTML page from a real run's evaluation, checked as text and in Chromium."""

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aoikit.cli import app

runner = CliRunner()
TINY = ["--model", "ssim_ae", "--image-size", "128", "--latent-dim", "16", "--epochs", "1"]
TINY += ["--patches-per-epoch", "16", "--threads", "1"]


@pytest.fixture(scope="module")
def evaluated_run(tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trained and evaluated tiny run (two windows, three panels)."""
    run = tmp_path_factory.mktemp("report") / "run"
    result = runner.invoke(app, ["train", "--data", str(tiny_dataset), "--out", str(run), *TINY])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["evaluate", "--run", str(run), "--windows", "7", "11", "--panels", "3"])
    assert result.exit_code == 0, result.output
    return run


def _report(run: Path, *args: str) -> str:
    result = runner.invoke(app, ["report", "--run", str(run), *args])
    assert result.exit_code == 0, result.output
    return result.output.split("report: ")[-1].strip()


def test_report_is_self_contained_and_holds_the_metrics(evaluated_run: Path) -> None:
    path = Path(_report(evaluated_run))
    assert path == evaluated_run / "eval" / "report.html"
    text = path.read_text()
    sources = re.findall(r'<img src="([^"]*)"', text)
    assert len(sources) == 2 + 3, "ROC, per-type bars and every panel"
    assert all(src.startswith("data:image/png;base64,") for src in sources)
    assert 'src="http' not in text and "<script" not in text and "<link" not in text
    metrics = json.loads((evaluated_run / "eval" / "metrics.json").read_text())
    for res in metrics.values():
        for value in (res["pixel_auroc"], res["aupro"], res["image_auroc"], res["threshold_calibrated"]):
            assert f"<td>{value:.4f}</td>" in text
        assert f"<td>{res['images_calibrated']['tpr']:.4f}</td>" in text
    for panel in (evaluated_run / "eval" / "panels").glob("*.png"):
        assert f"<figcaption>{panel.stem}</figcaption>" in text
    assert "latent_dim: 16" in text and "image_threshold_" in text


def test_out_file_and_escaped_configuration(evaluated_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(evaluated_run, run, ignore=shutil.ignore_patterns("report.html"))
    with (run / "config.yaml").open("a") as config:
        config.write("# <script>alert(1)</script>\n")
    out = tmp_path / "pages" / "r.html"
    assert _report(run, "--out", str(out)) == str(out)
    text = out.read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script" not in text
    assert not (run / "eval" / "report.html").exists()


def test_a_run_without_evaluation_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "--run", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"aoikit: error: {tmp_path}: no evaluation in {tmp_path / 'eval'}; run 'aoikit evaluate --run {tmp_path}' first"
    )


@pytest.mark.browser
def test_report_opens_in_chromium(evaluated_run: Path, browser: Any) -> None:
    browser.get(Path(_report(evaluated_run)).resolve().as_uri())
    assert browser.title == "aoikit report: run"
    loaded = browser.execute_script(
        "return Array.from(document.images).map(i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0)"
    )
    assert len(loaded) == 5 and all(loaded)

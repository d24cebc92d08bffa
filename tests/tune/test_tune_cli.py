"""``aoikit tune``: three stages on one SQLite storage, Table 1 and plots, the chosen trial tested once, one-line
errors, and two worker processes sharing one study on SQLite and on PostgreSQL without losing or repeating a trial."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import optuna
import pytest
from typer.testing import CliRunner

import aoikit
from aoikit.cli import app
from aoikit.data.open import open_dataset
from aoikit.models.ganomaly.space import COARSE
from aoikit.runs import load_run
from aoikit.tune.data import load_tune_data
from aoikit.tune.sampler import neighbours

runner = CliRunner()
CHEAP = ["--epochs", "1", "--max-size", "64", "--max-latent", "64", "--width", "4", "--threads", "1"]
CHEAP += ["--device", "cpu", "--model", "ganomaly-l1-l1"]


def tune(data: Path, out: Path, study: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["tune", "--data", str(data), "--out", str(out), "--study", study, *CHEAP, *args])
    return result.exit_code, result.output


def stage(storage: str, study: str, number: int) -> optuna.Study:
    return optuna.load_study(study_name=f"{study}-stage{number}", storage=storage)


def test_three_stages_write_table_1_and_plots(tiny_dataset: Path, tmp_path: Path) -> None:
    code, output = tune(tiny_dataset, tmp_path, "led", "--stage", "1", "--trials", "3")
    assert code == 0, output
    storage = f"sqlite:///{tmp_path / 'tune.db'}"
    first = stage(storage, "led", 1)
    assert len(first.trials) == 3 and first.user_attrs["model"] == "ganomaly-l1-l1"
    assert (tmp_path / "led-stage1-history.png").stat().st_size > 0
    assert (tmp_path / "led-stage1-importance.png").stat().st_size > 0
    assert "model: ganomaly-l1-l1" in (tmp_path / "config.yaml").read_text()

    code, output = tune(tiny_dataset, tmp_path, "led", "--stage", "2", "--trials", "2", "--top-k", "1")
    assert code == 0, output
    best = first.best_trial.params
    for trial in stage(storage, "led", 2).trials:
        assert all(trial.params[k] in neighbours(COARSE.choices()[k], best[k], 1) for k in best), trial.params

    code, output = tune(tiny_dataset, tmp_path, "led", "--stage", "3", "--trials", "1")
    assert code == 0, output
    assert "no parameter importance plot: 1 completed trial(s), it needs 2" in output
    assert (tmp_path / "led-stage3-history.png").is_file() and not (tmp_path / "led-stage3-importance.png").exists()
    table = (tmp_path / "table1.md").read_text().splitlines()
    assert table[0].startswith("| model | study | validation image AUROC | w_con |") and len(table) == 3
    assert table[2].startswith("| ganomaly-l1-l1 | led-stage")

    run = tmp_path / "chosen"
    args = ["tune-test", "--study", "led", "--storage", storage, "--data", str(tiny_dataset), "--out", str(run)]
    result = runner.invoke(app, [*args, "--frames", "5", "--threads", "1", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    tuned = json.loads((run / "tuned.json").read_text())
    trials = [t for n in (1, 2, 3) for t in stage(storage, "led", n).trials if t.value is not None]
    best = max(trials, key=lambda t: t.value or 0.0)
    assert (tuned["trial"], tuned["params"]) == (best.number, best.params)
    assert tuned["validation_auroc"] == pytest.approx(best.value)  # the same split and seed train the same model
    validated = len(load_tune_data(tiny_dataset, None).defects)
    test = open_dataset(tiny_dataset).test
    assert (tuned["test_images"], tuned["test_defects"]) == (
        len(test) - validated,
        sum(s.label for s in test) - validated,
    )
    assert 0.0 <= tuned["image_auroc"] <= 1.0 and tuned["ms_p50"] > 0
    assert load_run(run).config.image_size == best.params["image_size"]
    again = runner.invoke(app, [*args, "--frames", "5"])
    assert again.exit_code == 2 and "holds a run already" in again.output


def test_a_later_stage_needs_an_earlier_one_and_a_study_keeps_its_model(tiny_dataset: Path, tmp_path: Path) -> None:
    code, output = tune(tiny_dataset, tmp_path, "fresh", "--stage", "2")
    assert code == 2 and output.strip().splitlines()[-1].startswith("aoikit: error: stage 2 needs completed trials")
    assert tune(tiny_dataset, tmp_path, "one", "--trials", "1")[0] == 0
    code, output = tune(tiny_dataset, tmp_path, "one", "--trials", "1", "--model", "ganomaly-ssim-ssim")
    assert code == 2 and "tunes ganomaly-l1-l1, not ganomaly-ssim-ssim" in output
    code, output = tune(tiny_dataset, tmp_path, "one", "--trials", "1", "--defect-fraction", "0.4")
    assert code == 2 and "was searched with other settings (defect_fraction)" in output
    code, output = tune(tiny_dataset, tmp_path, "one", "--stage", "2", "--trials", "1", "--epochs", "2")
    assert code == 2 and "'one-stage1' was searched with other settings (train.epochs)" in output
    code, output = tune(tiny_dataset, tmp_path, "x", "--model", "ssim_ae")
    assert code == 2 and "tune searches the models ganomaly-l1-l1" in output
    code, output = tune(tiny_dataset, tmp_path, "x", "--storage", "not a url")
    assert code == 2 and output.strip().splitlines()[-1].startswith("aoikit: error: --storage 'not a url': not a")


def two_workers(data: Path, out: Path, storage: str, study: str, trials: tuple[int, int]) -> list[int]:
    """Run two ``aoikit tune`` processes on one study at once (same settings: the trial number alone makes their
    draws differ); the trial numbers of its stage 1."""
    env = {**os.environ, "PYTHONPATH": str(Path(aoikit.__file__).parents[1])}
    command = [sys.executable, "-m", "aoikit", "tune", "--data", str(data), "--study", study, "--storage", storage]
    workers = [
        subprocess.Popen(
            [*command, "--out", str(out / f"w{i}"), "--trials", str(n), *CHEAP],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i, n in enumerate(trials)
    ]
    for worker in workers:
        output, _ = worker.communicate(timeout=300)
        assert worker.returncode == 0, output[-2000:]
    return sorted(t.number for t in stage(storage, study, 1).trials)


@pytest.mark.slow
def test_two_workers_share_one_sqlite_study(tiny_dataset: Path, tmp_path: Path) -> None:
    numbers = two_workers(tiny_dataset, tmp_path, f"sqlite:///{tmp_path / 'shared.db'}", "pair", (2, 3))
    assert numbers == list(range(5))


@pytest.mark.slow
@pytest.mark.postgres
def test_two_workers_share_one_postgresql_study(tiny_dataset: Path, tmp_path: Path, postgres_url: str) -> None:
    study = f"pair-{uuid.uuid4().hex[:8]}"
    try:
        numbers = two_workers(tiny_dataset, tmp_path, postgres_url, study, (3, 2))
        assert numbers == list(range(5))
    finally:
        optuna.delete_study(study_name=f"{study}-stage1", storage=postgres_url)

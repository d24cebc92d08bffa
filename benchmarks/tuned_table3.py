"""The LED study's Table 1 and Table 3 with tuned parameters: the three search stages of each GANomaly preset, then
its chosen trial trained once more and tested once (``aoikit tune`` and ``aoikit tune-test``).

    python benchmarks/tuned_table3.py --data ../shared/data/kolektorsdd --config configs/tune_kolektor.yaml \
        --out runs/tuned_kolektor

Stops and restarts freely: a stage gets only the trials it still lacks, a tested preset is not tested again.
Prints Table 1 (best parameters per preset) and Table 3 (validation and test image AUROC, baselines, ms per frame).
``--runs RUN ...`` adds rows for GANomaly runs trained otherwise (e.g. by the seed schedule), tested on the same
split.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import optuna

from aoikit.evaluation.latency import timing_setup
from aoikit.metrics import image_auroc
from aoikit.models.ganomaly.detector import GANomalyDetector
from aoikit.runs import load_run
from aoikit.tune.final import chosen_trial, table3_row, unseen_test
from aoikit.tune.report import table1
from aoikit.tune.study import open_storage, stage_name

PRESETS = ("ganomaly-l1-l1", "ganomaly-ssim-l1", "ganomaly-ssim-ssim")
SEED = {"ganomaly-l1-l1": 0.8395, "ganomaly-ssim-l1": 0.8801, "ganomaly-ssim-ssim": 0.9524}
"""Image AUROC the LED study reports (its own data, 200 epochs)."""


def aoikit(*args: str) -> None:
    """Run one aoikit command, its output passed through; stop on failure."""
    subprocess.run([sys.executable, "-m", "aoikit", *args], check=True)


def finished(storage: optuna.storages.BaseStorage, name: str) -> int:
    """Trials of study ``name`` that ended (completed or pruned)."""
    try:
        trials = optuna.load_study(study_name=name, storage=storage).trials
    except KeyError:
        return 0
    return sum(t.state.is_finished() for t in trials)


def other_run(run: Path, data: str, storage: optuna.storages.BaseStorage, study: str) -> dict[str, object]:
    """Table 3 row of a GANomaly run trained outside the search, on the test split of ``study``; ``epochs`` is the
    number of epochs the run trained (its ``history.csv``)."""
    settings, _ = chosen_trial(storage, study)
    seed = settings["train"]["seed"]
    samples = unseen_test(Path(data), None, settings["defect_fraction"], seed)
    detector = load_run(run)
    assert isinstance(detector, GANomalyDetector)
    epochs = len((run / "history.csv").read_text().splitlines()) - 1
    return {**table3_row(detector, f"{detector.config.model} ({run.name})", samples, seed), "epochs": epochs}


def difference(row: dict[str, Any], reference: dict[str, Any], draws: int = 2000) -> str:
    """Test AUROC of ``row`` minus that of ``reference`` with a 95% paired bootstrap interval (images resampled
    within good and defective alike)."""
    labels = np.array(reference["test_labels"])
    if row is reference or row.get("test_labels") != reference["test_labels"]:
        return "–"
    a, b = np.array(row["test_scores"]), np.array(reference["test_scores"])
    rng = np.random.default_rng(0)
    groups = [np.flatnonzero(labels == k) for k in (0, 1)]
    deltas = []
    for _ in range(draws):
        pick = np.concatenate([rng.choice(g, len(g)) for g in groups])
        deltas.append(image_auroc(a[pick], labels[pick]) - image_auroc(b[pick], labels[pick]))
    low, high = np.quantile(deltas, [0.025, 0.975])
    return f"{image_auroc(a, labels) - image_auroc(b, labels):+.3f} [{low:+.3f}, {high:+.3f}]"


def table3(rows: list[dict[str, Any]]) -> str:
    """Markdown Table 3: one row per preset or run, its test AUROC difference to the first row beside it."""
    head = "| preset | size | epochs | validation AUROC (search / again) | test AUROC | vs first row [95% CI] | flat |"
    lines = [head + " untrained | ms p50 | ms p99 | seed study |", "|---|" + "---:|" * 10]
    for r in rows:
        validation = (
            f"{r['validation_auroc_search']:.4f} / {r['validation_auroc']:.4f}" if "validation_auroc" in r else "–"
        )
        cells = [r["preset"], r["size"], r["epochs"], validation, f"{r['image_auroc']:.4f}", difference(r, rows[0])]
        cells += [f"{r[k]:.4f}" for k in ("flat_auroc", "untrained_auroc")]
        cells += [f"{r[k]:.2f}" for k in ("ms_p50", "ms_p99")] + [SEED.get(r["preset"].split()[0], "–")]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--config", required=True, help="YAML the trials share (preprocessing)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--presets", nargs="+", default=list(PRESETS))
    parser.add_argument("--trials", type=int, nargs=3, default=[16, 8, 6], help="trials of stages 1, 2, 3")
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--max-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=Path, nargs="*", default=[], help="other GANomaly runs to test on the split")
    args = parser.parse_args()
    _, conditions = timing_setup(args.threads)
    storage_url = f"sqlite:///{args.out.resolve() / 'tune.db'}"
    args.out.mkdir(parents=True, exist_ok=True)
    storage = open_storage(storage_url)
    search = ["--data", args.data, "--config", args.config, "--out", str(args.out), "--storage", storage_url]
    search += ["--epochs", str(args.epochs), "--width", str(args.width), "--max-size", str(args.max_size)]
    search += ["--threads", str(args.threads), "--top-k", str(args.top_k)]
    rows = []
    for preset in args.presets:
        study = preset.removeprefix("ganomaly-")
        for stage, trials in enumerate(args.trials, start=1):
            missing = trials - finished(storage, stage_name(study, stage))
            if missing > 0:
                where = ["--model", preset, "--study", study, "--stage", str(stage), "--trials", str(missing)]
                aoikit("tune", *search, *where)
        run = args.out / preset
        if not (run / "tuned.json").is_file():
            where = ["--study", study, "--storage", storage_url, "--data", args.data, "--out", str(run)]
            aoikit("tune-test", *where, "--threads", str(args.threads))
        rows.append(json.loads((run / "tuned.json").read_text()))
    rows += [other_run(path, args.data, storage, args.presets[0].removeprefix("ganomaly-")) for path in args.runs]
    print(f"\nTable 1 (best validation trial per preset)\n\n{table1(storage)}")
    print("Table 3\n")
    print(table3(rows))
    print(f"\ntest split: {rows[0]['test_images']} images, {rows[0]['test_defects']} defective; timing: {conditions}")


if __name__ == "__main__":
    main()

"""Compare the models of one family on one dataset (the GANomaly presets: the seed's Table 3) with their baselines,
ROC curves and score histograms; the family says what a row holds (:class:`aoikit.models.protocol.Comparable`)."""

import csv
import json
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve

from aoikit.data.arrays import load_images
from aoikit.data.open import open_dataset
from aoikit.data.split import train_val_split
from aoikit.detector import Detector
from aoikit.errors import AoikitError
from aoikit.evaluation.latency import timing_setup
from aoikit.metrics import image_auroc
from aoikit.models.families import detector_class
from aoikit.models.onnx_backend import onnx_available
from aoikit.models.protocol import Comparable

REFERENCE = "ganomaly-l1-l1"
COLUMNS = {
    "preset": "preset",
    "size": "size",
    "ngf": "ngf",
    "image_auroc": "image AUROC",
    "vs_l1_l1_percent": "vs L1-L1 (%)",
    "flat_auroc": "flat baseline AUROC",
    "untrained_auroc": "untrained baseline AUROC",
    "ms_p50": "ms/frame p50",
    "ms_p99": "ms/frame p99",
}

FORMATS = {"vs_l1_l1_percent": "{:+.1f}", "ms_p50": "{:.2f}", "ms_p99": "{:.2f}"}


def compare_presets(
    data: str,
    category: str | None,
    out_dir: Path,
    presets: list[str],
    epochs: int,
    *,
    train_config: Any = None,
    overrides: dict[str, Any] | None = None,
    val_fraction: float = 0.2,
    threads: int | None = None,
    frames: int = 200,
    test_minmax: bool = False,
    match_intensity: bool = False,
    device: str = "auto",
) -> list[dict[str, Any]]:
    """Train (or reuse) each preset in ``out_dir/<preset>``, evaluate it on the test set, write the table.

    A run with a calibrated ``model/`` is reused as it is; an unfinished one resumes from ``last/``. The
    flat and untrained baselines go through the same score A as each preset. Latency is batch 1,
    generator + score on a preset-sized frame, after warm-up. Writes ``table3.csv``, ``table3.md``,
    ``results.json``, ``roc.png`` and one ``hist_<preset>.png`` per preset.

    Args:
        train_config: the family's optimisation settings (its ``epochs`` and ``threads`` are replaced).
        overrides: applied to every preset: detector options such as a smaller ``image_size``; any other key is a
            network option (``model_config``: ``ngf``, ``ndf``, ``latent_dim``).
        threads: for training and timing; None uses every core.
        test_minmax: normalise the histograms' scores with the test set's min and max, as the seed study did
            (labelled "test-fitted (seed protocol)"); AUROC does not depend on it.
        match_intensity: match every image's grey level and contrast to the training images' (baselines too).
        device: where to train and infer (auto, cpu, cuda, cuda:N).
    """
    family = detector_class(presets[0]) if presets else None
    if family is None or any(detector_class(name) is not family for name in presets):
        raise AoikitError(f"compare needs models of one family, got {', '.join(presets) or 'none'}")
    train_config = train_config or family.train_config_cls()
    options = {f.name for f in fields(family.config_cls)}
    network = {k: v for k, v in (overrides or {}).items() if k not in options}
    shared = {k: v for k, v in (overrides or {}).items() if k in options}
    threads, conditions = timing_setup(threads)
    dataset = open_dataset(Path(data), category)
    seed = train_config.seed
    train_samples, val_samples = train_val_split(dataset.train, val_fraction, seed)
    train_images = load_images(train_samples, desc="reading training images")
    val_images = load_images(val_samples, desc="reading validation images")
    test_images = load_images(dataset.test, desc="reading test images")
    labels = np.array([s.label for s in dataset.test])
    if len(set(labels.tolist())) < 2:
        raise AoikitError(f"{data}: the test set needs good and defective images for AUROC")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    scores: dict[str, np.ndarray] = {}
    for name in presets:
        cfg = replace(train_config, epochs=epochs, threads=threads, device=device)
        config = family.config_cls(model=name, model_config=network, match_intensity=match_intensity, **shared)
        detector = comparable(_trained(family(config, cfg), out_dir / name, train_images, val_images).to(device))
        values, how = detector.histogram_scores(test_images, test_minmax)
        scores[name] = values
        threshold = None if test_minmax else detector.image_threshold_
        _plot_histogram(out_dir / f"hist_{name}.png", values, labels, f"{name} ({how})", threshold)
        rows.append(detector.table_row(name, test_images, labels, seed, frames))
    reference = next((r["image_auroc"] for r in rows if r["preset"] == REFERENCE), None)
    for row in rows:
        row["vs_l1_l1_percent"] = None if reference is None else 100 * (row["image_auroc"] / reference - 1)
    path = "onnxruntime" if onnx_available() else "PyTorch with BatchNorm folded"
    timing = f"batch 1, generator + score ({path}), {frames} frames after warm-up; {conditions}"
    _write_tables(out_dir, rows, timing)
    _plot_roc(out_dir / "roc.png", scores, labels)
    return rows


def comparable(detector: Detector) -> Comparable:
    """``detector`` as a row of a comparison table; a family that does not table its models is a one-line error."""
    if not isinstance(detector, Comparable):
        raise AoikitError(f"the {detector.family} family has no comparison table")
    return detector


def _trained(wanted: Detector, run_dir: Path, train_images: list[np.ndarray], val_images: list[np.ndarray]) -> Detector:
    """The calibrated detector in ``run_dir/model`` if its settings match, else train (resuming) and save it."""
    if not (run_dir / "model" / "config.json").is_file():
        return wanted.fit(train_images, val_images, run_dir, resume=True)
    detector = type(wanted).load(run_dir / "model")
    if _settings(detector) != _settings(wanted):
        raise AoikitError(f"{run_dir}: trained with other settings; choose another output folder or remove it")
    return detector


def _settings(detector: Detector) -> tuple[Any, Any]:
    """What a finished run must share with the one asked for (threads, device and precision may differ)."""
    return detector.config, replace(detector.train_config, threads=None, device="auto", amp="auto")


def _cell(key: str, value: object) -> str:
    if value is None:
        return "–"
    return FORMATS.get(key, "{:.4f}").format(value) if isinstance(value, float) else str(value)


def _write_tables(out_dir: Path, rows: list[dict[str, Any]], timing: str) -> None:
    (out_dir / "results.json").write_text(json.dumps(rows, indent=2))
    with (out_dir / "table3.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    lines = ["| " + " | ".join(COLUMNS.values()) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cell(key, row[key]) for key in COLUMNS) + " |" for row in rows]
    notes = f"Image AUROC on the test set; baselines through the same score A. Latency: {timing}."
    (out_dir / "table3.md").write_text("\n".join(["# GANomaly presets (Table 3)", "", *lines, "", notes, ""]))


def _plot_roc(path: Path, scores: dict[str, np.ndarray], labels: np.ndarray) -> None:
    fig = Figure(figsize=(5, 5), layout="constrained")
    ax = fig.subplots()
    for name, values in scores.items():
        fpr, tpr, _ = roc_curve(labels, values)
        ax.plot(fpr, tpr, label=f"{name} (AUROC {image_auroc(values, labels):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("false positive rate (images)")
    ax.set_ylabel("true positive rate (images)")
    ax.legend(loc="lower right", fontsize=8)
    fig.savefig(path, dpi=100)


def _plot_histogram(path: Path, scores: np.ndarray, labels: np.ndarray, title: str, threshold: float | None) -> None:
    """Normalised scores of good vs defective test images (the seed's Fig. 5b–7b), with the image threshold."""
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    bins = np.linspace(min(scores.min(), 0.0), max(scores.max(), 1.0), 31).tolist()
    ax.hist(scores[labels == 0], bins=bins, alpha=0.6, label="good")
    ax.hist(scores[labels != 0], bins=bins, alpha=0.6, label="defective")
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", linewidth=1, label="image threshold (validation)")
    ax.set_xlabel("normalised anomaly score A")
    ax.set_ylabel("test images")
    ax.set_title(title, fontsize=10)
    ax.legend()
    fig.savefig(path, dpi=100)

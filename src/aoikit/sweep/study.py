"""Experiment grids: categories × latent sizes, every SSIM window, resumable."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from aoikit.config import RunConfig, resolve_config
from aoikit.detector import Detector
from aoikit.errors import AoikitError
from aoikit.pipeline import baseline_detector, evaluate_detector, train_run
from aoikit.runs import load_run
from aoikit.sweep.tables import METRICS, plot_windows, write_tables

SSIM_AE = "ssim_ae"
"""The model a study's runs use unless its options name another: the grid is of the SSIM autoencoder's latent sizes."""


@dataclass
class StudyConfig:
    """A grid of runs.

    ``base`` holds run options shared by every run (as in ``aoikit train --config``); a category maps to its
    dataset path, or to a mapping with ``data`` and options that override ``base`` for that category.
    """

    out: str
    categories: dict[str, str | dict[str, Any]]
    latent_dims: list[int] = field(default_factory=lambda: [100, 300, 500])
    windows: list[int] = field(default_factory=lambda: [7, 11, 15])
    baselines: list[str] = field(default_factory=lambda: ["flat", "untrained"])
    base: dict[str, Any] = field(default_factory=dict)
    panels: int = 6


def load_study(path: Path) -> StudyConfig:
    """Read a study YAML; unknown keys are an error."""
    try:
        values = yaml.safe_load(path.read_text())
        return StudyConfig(**values)
    except (OSError, yaml.YAMLError, TypeError) as exc:
        raise AoikitError(f"{path}: not a valid study configuration ({' '.join(str(exc).split())})") from None


def _evaluated(folder: Path, windows: list[int]) -> dict[str, Any] | None:
    path = folder / "metrics.json"
    if not path.exists():
        return None
    metrics: dict[str, Any] = json.loads(path.read_text())
    return metrics if all(str(w) in metrics for w in windows) else None


def _run_config(study: StudyConfig, category: str, latent_dim: int | None = None) -> RunConfig:
    entry = study.categories[category]
    specific = {"data": entry} if isinstance(entry, str) else entry
    overrides = {
        "detector.model": SSIM_AE,
        **_flatten(study.base),
        **_flatten(specific),
        "detector.model_config.latent_dim": latent_dim,
    }
    return resolve_config(None, overrides)


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict) and key != "model_config":
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _evaluate_once(
    folder: Path, study: StudyConfig, config: RunConfig, detector: Callable[[], Detector], panels: int
) -> dict[str, Any]:
    """Metrics already in ``folder`` for every window, or evaluate now."""
    metrics = _evaluated(folder, study.windows)
    if metrics is None:
        evaluate_detector(detector(), config, folder, study.windows, panels, folder.name)
        metrics = _evaluated(folder, study.windows)
    return metrics or {}


def run_study(study: StudyConfig) -> dict[str, dict[str, dict[str, Any]]]:
    """Train what is missing, evaluate what is missing; {category: {row name: metrics per window}}."""
    out = Path(study.out)
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for category in study.categories:
        rows: dict[str, dict[str, Any]] = {}
        for d in study.latent_dims:
            run_dir, config = out / category / f"d{d}", _run_config(study, category, d)
            if not (run_dir / "model" / "model.safetensors").exists():
                train_run(config, run_dir, resume=True)
            rows[f"d={d}"] = _evaluate_once(run_dir / "eval", study, config, partial(load_run, run_dir), study.panels)
        for kind in study.baselines:
            folder, config = out / category / f"baseline-{kind}", _run_config(study, category)
            rows[f"{kind} baseline"] = _evaluate_once(
                folder, study, config, partial(baseline_detector, kind, config), 0
            )
        results[category] = rows
    return results


def write_outputs(study: StudyConfig, results: dict[str, dict[str, dict[str, Any]]]) -> tuple[Path, list[Path]]:
    """Write the study's tables and one window figure per metric; their paths."""
    out = Path(study.out)
    figures = [out / f"windows_{metric}.png" for metric in METRICS]
    for metric, figure in zip(METRICS, figures, strict=True):
        plot_windows(results, study.windows, figure, metric)
    return write_tables(results, study.windows, out), figures

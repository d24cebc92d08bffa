"""End-to-end jobs the CLI and the demo call: train a run, load it, predict and evaluate with it."""

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm import tqdm

from aoikit.config import RunConfig, load_config, option_differences, resolve_config, save_config
from aoikit.data.arrays import load_images
from aoikit.data.dataset import AnomalyDataset
from aoikit.data.fingerprint import save_good_images
from aoikit.data.image_io import read_gray
from aoikit.data.labelled import labelled_defects
from aoikit.data.naming import unique_stems
from aoikit.data.open import open_dataset
from aoikit.data.split import train_val_split
from aoikit.detector import Detector
from aoikit.errors import AoikitError, check_window
from aoikit.evaluation.evaluate import evaluate, load_test_set
from aoikit.evaluation.report import write_report
from aoikit.export import export_detector, load_exported
from aoikit.models.families import baseline_family, detector_class
from aoikit.outputs import output_folder
from aoikit.runs import load_run
from aoikit.runtime import configure_runtime
from aoikit.training import checkpoint_exists
from aoikit.viz import save_panel

MIN_GOOD = 3
"""Fewest good training images a run accepts: at least two to train on and one held out."""
RESUMABLE = ("epochs", "threads", "device", "amp")
"""Training options a resumed run may change; anything else must match the run's config.yaml."""


def run_config(out: Path, config: Path | None, overrides: dict[str, Any], resume: bool, overwrite: bool) -> RunConfig:
    """The configuration of a run to train into ``out``, checked before anything is written.

    A new run refuses a folder that already holds one unless ``overwrite``. ``resume`` needs the run and takes
    its config.yaml (changing only :data:`RESUMABLE` training options).
    """
    if out.exists() and not out.is_dir():
        raise AoikitError(f"{out}: exists and is not a folder; choose another --out")
    saved = out / "config.yaml"
    if resume:
        if overwrite:
            raise AoikitError("--resume and --overwrite contradict each other")
        if not saved.is_file():
            raise AoikitError(f"{out}: no run to resume (no config.yaml); drop --resume to start a new run")
        before = load_config(saved)
        resolved = resolve_config(config or saved, overrides)
        changed = option_differences(asdict(before), asdict(resolved))
        refused = [key for key in changed if not (key.startswith("train.") and key[6:] in RESUMABLE)]
        if refused:
            raise AoikitError(
                f"{out}: cannot change {', '.join(refused)} when resuming (only train.{'/'.join(RESUMABLE)})"
            )
        return resolved
    if (saved.exists() or checkpoint_exists(out / "last")) and not overwrite:
        raise AoikitError(f"{out}: holds a run already; pass --resume to continue it or --overwrite to replace it")
    return resolve_config(config, overrides)


def _good_count(dataset: AnomalyDataset) -> str:
    """How many good images a dataset gives for training, as a phrase."""
    train, held = len(dataset.train), dataset.held_out_good
    if not held:
        return f"{train} good training image(s)"
    return f"{train + held} good image(s), {train} for training after {held} held out as test images"


def train_run(config: RunConfig, out_dir: Path, resume: bool = False) -> Detector:
    """Train and calibrate a detector of the configured family on the good training images of ``config.data``."""
    if not config.data:
        raise AoikitError("no dataset given: pass --data PATH or set 'data' in the configuration")
    configure_runtime(config.train.threads)
    dataset = open_dataset(Path(config.data), config.category)
    if len(dataset.train) < MIN_GOOD:
        raise AoikitError(
            f"{config.data}: {_good_count(dataset)}; need at least {MIN_GOOD} good training images "
            "(some to train on, some held out to calibrate the thresholds)"
        )
    train_samples, val_samples = train_val_split(dataset.train, config.val_fraction, config.train.seed)
    train_images = load_images(train_samples, desc="reading training images")
    val_images = load_images(val_samples, desc="reading validation images")
    family = detector_class(config.detector.model)
    labelled = labelled_defects(dataset, Path(config.data) / (config.category or "")) if family.supervised else []
    save_config(config, output_folder(out_dir) / "config.yaml")
    save_good_images(out_dir, [s.path for s in dataset.train])
    return family(config.detector, config.train).fit(train_images, val_images, out_dir, resume, labelled)


def export_run(run_dir: Path, out_dir: Path, fmt: str = "onnx", overwrite: bool = False) -> Detector:
    """Export the run's calibrated detector to ``out_dir`` (:func:`aoikit.export.export_detector`) and load it back
    as a server would; the loaded detector's ``backend`` says what will run it."""
    export_detector(load_run(run_dir), out_dir, fmt, source=str(run_dir), overwrite=overwrite)
    return load_exported(out_dir)


def predict_paths(
    run_dir: Path, images: Sequence[Path], out_dir: Path, device: str = "cpu"
) -> list[tuple[Path, float, int]]:
    """Write a panel PNG per image; return (panel, score, label) for each."""
    output_folder(out_dir)
    detector = load_run(run_dir, device)
    configure_runtime(None)
    results = []
    for path, stem in tqdm(list(zip(images, unique_stems(images), strict=True)), desc="predicting", unit="image"):
        image = read_gray(path)
        result = detector.predict([image])[0]
        panel = out_dir / f"{stem}_panel.png"
        verdict = "ANOMALOUS" if result.pred_label else "good"
        title = (
            f"{path.name}: score {result.pred_score:.3f} ({verdict}, image threshold {detector.image_threshold_:.3f})"
        )
        recon = result.reconstruction if detector.reconstructs else None
        save_panel(panel, image, recon, result.anomaly_map, detector.threshold_, title=title)
        results.append((panel, result.pred_score, result.pred_label))
    return results


def baseline_detector(kind: str, config: RunConfig) -> Detector:
    """An uncalibrated baseline of ``config``'s family (:attr:`aoikit.detector.Detector.baselines`)."""
    return detector_class(config.detector.model).baseline(kind, config.detector, config.train.seed)


def evaluate_detector(
    detector: Detector,
    config: RunConfig,
    out_dir: Path,
    windows: Sequence[int] | None = None,
    panels: int = 12,
    title: str = "",
) -> dict[int, dict[str, object]]:
    """Evaluate on the test set of ``config.data``; thresholds calibrated on the run's validation split."""
    if not config.data:
        raise AoikitError("no dataset given: pass --data PATH")
    _check_report_options(windows, panels)
    windows = list(windows or [detector.config.window])
    configure_runtime(config.train.threads)
    dataset = open_dataset(Path(config.data), config.category)
    _, val_samples = train_val_split(dataset.train, config.val_fraction, config.train.seed)
    val_images = load_images(val_samples, desc="reading validation images")
    test = load_test_set(dataset.test)
    results, maps, recons = evaluate(detector, test, val_images, windows)
    window = detector.config.window if detector.config.window in windows else windows[0]
    shown = recons if detector.reconstructs else None
    write_report(out_dir, results, test, maps, shown, window, panels, f"{dataset.name}: {title}")
    return results


def _baseline_config(kind: str | None) -> RunConfig:
    """The default configuration of the family that builds baseline ``kind``."""
    family = baseline_family(str(kind))
    return RunConfig(detector=family.config_cls(model=family.model_names[0]), train=family.train_config_cls())


def _dataset_folder(config: RunConfig) -> Path | None:
    """The dataset folder a configuration names, resolved; None when it names none."""
    return (Path(config.data) / (config.category or "")).resolve() if config.data else None


def _check_report_options(windows: Sequence[int] | None, panels: int) -> None:
    if panels < 0:
        raise AoikitError(f"--panels must be 0 or more, got {panels}")
    for window in windows or []:
        check_window(window, "--windows: each window")


def evaluate_run(
    run: Path | None,
    baseline: str | None,
    data: str | None,
    category: str | None,
    windows: Sequence[int] | None,
    panels: int,
    out: Path | None,
    device: str = "cpu",
) -> tuple[dict[int, dict[str, object]], Path]:
    """Evaluate a run or a baseline (model-free "flat", randomly initialised "untrained"); the metrics and the
    report folder (default RUN/eval or runs/baseline-KIND)."""
    if run is None and baseline is None:
        raise AoikitError("give --run RUN, or --baseline flat|untrained")
    _check_report_options(windows, panels)
    config = load_config(run / "config.yaml") if run is not None else _baseline_config(baseline)
    trained_on = _dataset_folder(config)
    config.data, config.category = data or config.data, category or config.category
    if baseline:
        detector, title = baseline_detector(baseline, config).to(device), f"{baseline} baseline"
    else:
        detector, title = load_run(run, device), str(run)  # type: ignore[arg-type]
        if detector.supervised and trained_on is not None and _dataset_folder(config) == trained_on:
            raise AoikitError(
                f"{run}: a supervised run learned the defect images of {config.data}; evaluate it on a held-out "
                "folder with --data"
            )
    folder = output_folder(out or (run / "eval" if run is not None else Path(f"runs/baseline-{baseline}")))
    return evaluate_detector(detector, config, folder, windows, panels, title), folder

"""End-to-end jobs the CLI and the demo call: train a run, predict with it."""

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import torch
from tqdm import tqdm

from aoikit.config import RunConfig, save_config
from aoikit.data.arrays import load_images
from aoikit.data.image_io import read_gray
from aoikit.data.naming import unique_stems
from aoikit.data.open import open_dataset
from aoikit.data.split import train_val_split
from aoikit.errors import AoikitError
from aoikit.evaluation.evaluate import evaluate, load_test_set
from aoikit.evaluation.report import write_report
from aoikit.models import create_model
from aoikit.models.ganomaly.detector import GANomalyDetector, preset_train_config
from aoikit.models.ganomaly.presets import PRESETS
from aoikit.models.ssim_ae.detector import Detector
from aoikit.runtime import configure_runtime
from aoikit.viz import save_panel

AnyDetector = Detector | GANomalyDetector


def train_run(config: RunConfig, out_dir: Path, resume: bool = False) -> AnyDetector:
    """Train and calibrate a detector on the good training images of ``config.data``."""
    if not config.data:
        raise AoikitError("no dataset given: pass --data PATH or set 'data' in the configuration")
    configure_runtime(config.train.threads)
    dataset = open_dataset(Path(config.data), config.category)
    train_samples, val_samples = train_val_split(dataset.train, config.val_fraction, config.train.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_config(config, out_dir / "config.yaml")
    train_images = load_images(train_samples, desc="reading training images")
    val_images = load_images(val_samples, desc="reading validation images")
    if config.detector.model in PRESETS:
        preset = PRESETS[config.detector.model]
        gan_config = replace(
            preset_train_config(preset),
            epochs=config.train.epochs,
            batch_size=config.train.batch_size,
            seed=config.train.seed,
            threads=config.train.threads,
        )
        matched, options = config.detector.match_intensity, config.detector.model_config
        gan = GANomalyDetector(config.detector.model, gan_config, match_intensity=matched, **options)
        return gan.fit(train_images, val_images, out_dir, resume=resume)
    detector = Detector(config.detector, config.train)
    return detector.fit(train_images, val_images, out_dir, resume=resume)


def load_run(run_dir: Path) -> AnyDetector:
    """The calibrated detector saved by :func:`train_run` (SSIM autoencoder or GANomaly)."""
    model_dir = run_dir / "model"
    if not (model_dir / "config.json").is_file():
        raise AoikitError(f"{run_dir}: no trained model here (expected {model_dir}); run 'aoikit train' first")
    if json.loads((model_dir / "config.json").read_text()).get("model") == "ganomaly":
        return GANomalyDetector.load(model_dir)
    return Detector.load(model_dir)


def load_autoencoder_run(run_dir: Path) -> Detector:
    """Like :func:`load_run`, for commands that need the patch-wise autoencoder's maps."""
    detector = load_run(run_dir)
    if not isinstance(detector, Detector):
        raise AoikitError(f"{run_dir}: a GANomaly run; evaluate it with 'aoikit compare' (image AUROC, Table 3)")
    return detector


def predict_paths(run_dir: Path, images: Sequence[Path], out_dir: Path) -> list[tuple[Path, float, int]]:
    """Write a panel PNG per image; return (panel, score, label) for each."""
    detector = load_run(run_dir)
    configure_runtime(None)
    results = []
    for path, stem in tqdm(list(zip(images, unique_stems(images), strict=True)), desc="predicting", unit="image"):
        image = read_gray(path)
        result = detector.predict(image)
        panel = out_dir / f"{stem}_panel.png"
        verdict = "ANOMALOUS" if result.pred_label else "good"
        title = (
            f"{path.name}: score {result.pred_score:.3f} ({verdict}, image threshold {detector.image_threshold_:.3f})"
        )
        save_panel(panel, image, result.reconstruction, result.anomaly_map, detector.threshold_, title=title)
        results.append((panel, result.pred_score, result.pred_label))
    return results


def baseline_detector(kind: str, config: RunConfig) -> Detector:
    """An uncalibrated model-free ("flat") or randomly initialised ("untrained") detector."""
    if kind == "flat":
        return Detector.from_model(create_model("flat"), config.detector)
    if kind == "untrained":
        torch.manual_seed(config.train.seed)
        return Detector.from_model(create_model(config.detector.model, **config.detector.model_config), config.detector)
    raise AoikitError(f"unknown baseline '{kind}' (choose flat or untrained)")


def evaluate_detector(
    detector: Detector,
    config: RunConfig,
    out_dir: Path,
    windows: Sequence[int] = (11,),
    panels: int = 12,
    title: str = "",
) -> dict[int, dict[str, object]]:
    """Evaluate on the test set of ``config.data``; thresholds calibrated on the run's validation split."""
    if not config.data:
        raise AoikitError("no dataset given: pass --data PATH")
    configure_runtime(config.train.threads)
    dataset = open_dataset(Path(config.data), config.category)
    _, val_samples = train_val_split(dataset.train, config.val_fraction, config.train.seed)
    val_images = load_images(val_samples, desc="reading validation images")
    test = load_test_set(dataset.test)
    results, maps, recons = evaluate(detector, test, val_images, windows)
    window = detector.config.window if detector.config.window in windows else windows[0]
    write_report(out_dir, results, test, maps, recons, window, panels, f"{dataset.name}: {title}")
    return results

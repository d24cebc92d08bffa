"""Load what a run saved: the calibrated detector of a run folder or of an export folder, of any family.

Below :mod:`aoikit.pipeline` (which trains) so that whatever only serves a run never imports training.
"""

import json
from pathlib import Path

from aoikit.detector import Detector
from aoikit.errors import AoikitError
from aoikit.export import AUTO, is_export, load_exported
from aoikit.models.families import detector_class


def load_detector(model_dir: Path) -> Detector:
    """A calibrated detector of any family from ``<run>/model``."""
    config_file = model_dir / "config.json"
    try:
        meta = json.loads(config_file.read_text())
        model = str(meta["detector"]["model"])
    except FileNotFoundError:
        raise AoikitError(f"{model_dir.parent}: no trained model here (expected {model_dir})") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AoikitError(f"{config_file}: not a detector configuration ({exc.__class__.__name__}: {exc})") from None
    return detector_class(model).load(model_dir)


def load_run(run_dir: Path, device: str = "cpu", backend: str = AUTO) -> Detector:
    """The calibrated detector of a run folder (saved by :func:`aoikit.pipeline.train_run`) or of an export folder
    (written by :func:`aoikit.pipeline.export_run`), on ``device``. An export runs its network through ``backend``
    (:func:`load_exported`); a run keeps its family's own inference path unless ``backend`` names one."""
    if is_export(run_dir):
        return load_exported(run_dir, device, backend)
    detector = load_detector(run_dir / "model").to(device)
    return detector if backend == AUTO else detector.use_backend(backend)

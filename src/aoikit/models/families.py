"""Model families: a model name -> the detector class that trains, maps, scores and saves it.

Adding a family is one folder under ``models/`` plus one entry in ``FAMILIES``.
"""

from aoikit.detector import Detector
from aoikit.errors import AoikitError
from aoikit.models.draem.detector import DRAEMDetector
from aoikit.models.ganomaly.detector import GANomalyDetector
from aoikit.models.ganomaly.presets import PRESETS
from aoikit.models.patchcore.detector import PatchCoreDetector
from aoikit.models.ssim_ae.detector import SSIMAEDetector
from aoikit.models.unet.detector import UNetDetector

FAMILIES: dict[type[Detector], tuple[str, ...]] = {
    PatchCoreDetector: ("patchcore",),
    SSIMAEDetector: ("ssim_ae",),
    GANomalyDetector: tuple(PRESETS),
    DRAEMDetector: ("draem",),
    UNetDetector: ("unet",),
}
"""Each family's detector class and the model names it serves."""
DEFAULT_MODEL = "patchcore"
"""What ``aoikit train`` fits when no model is named: it needs no training and no tuning per surface."""


def model_names() -> list[str]:
    """Every model name ``--model`` accepts, sorted."""
    return sorted(name for names in FAMILIES.values() for name in names)


def detector_class(model: str) -> type[Detector]:
    """The family that serves ``model``; an unknown name is a one-line error listing the known ones."""
    for cls, names in FAMILIES.items():
        if model in names:
            return cls
    raise AoikitError(f"unknown model {model!r}; known models: {', '.join(model_names())}")

"""Model families: a model name -> the detector class that trains, maps, scores and saves it.

Adding a family is one folder under ``models/`` plus one entry in ``FAMILIES``; everything else asks the family
(:class:`aoikit.detector.Detector`, :mod:`aoikit.models.protocol`).
"""

from aoikit.detector import Detector
from aoikit.errors import AoikitError
from aoikit.models.draem.detector import DRAEMDetector
from aoikit.models.ganomaly.detector import GANomalyDetector
from aoikit.models.patchcore.detector import PatchCoreDetector
from aoikit.models.ssim_ae.detector import SSIMAEDetector
from aoikit.models.unet.detector import UNetDetector

FAMILIES: tuple[type[Detector], ...] = (
    PatchCoreDetector,
    SSIMAEDetector,
    GANomalyDetector,
    DRAEMDetector,
    UNetDetector,
)
"""Every family's detector class; each lists the model names it serves (``model_names``)."""
DEFAULT_MODEL = "patchcore"
"""What ``aoikit train`` fits when no model is named: it needs no training and no tuning per surface."""


def model_names() -> list[str]:
    """Every model name ``--model`` accepts, sorted."""
    return sorted(name for family in FAMILIES for name in family.model_names)


def detector_class(model: str) -> type[Detector]:
    """The family that serves ``model``; an unknown name is a one-line error listing the known ones."""
    for family in FAMILIES:
        if model in family.model_names:
            return family
    raise AoikitError(f"unknown model {model!r}; known models: {', '.join(model_names())}")


def default_family() -> type[Detector]:
    """The family of :data:`DEFAULT_MODEL`."""
    return detector_class(DEFAULT_MODEL)


def baseline_family(kind: str) -> type[Detector]:
    """The family that builds the baseline ``kind``; an unknown kind is a one-line error listing the known ones."""
    for family in FAMILIES:
        if kind in family.baselines:
            return family
    known = sorted(kind for family in FAMILIES for kind in family.baselines)
    raise AoikitError(f"unknown baseline '{kind}' (choose {' or '.join(known)})")


def tunable_family(model: str) -> type[Detector]:
    """The family of ``model`` when ``aoikit tune`` can search it; otherwise a one-line error naming the models it
    can."""
    family = detector_class(model)
    if family.tuning is None:
        tunable = [name for f in FAMILIES if f.tuning is not None for name in f.model_names]
        raise AoikitError(f"tune searches the models {', '.join(tunable)}; got {model!r}")
    return family

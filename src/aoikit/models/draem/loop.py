"""DRAEM's part of training: random crops of good images with synthetic anomalies and their validation, run by the
one training loop (:func:`aoikit.training.loop.fit_epochs`)."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.metrics import average_precision_score
from tqdm import tqdm

from aoikit.detector import EpochHook
from aoikit.errors import AoikitError
from aoikit.models.draem.anomalies import AnomalySynthesizer
from aoikit.models.draem.loss import draem_loss, focal_loss
from aoikit.models.draem.network import DRAEM
from aoikit.runtime import setup_runtime, to_device
from aoikit.threads import ThreadGovernor
from aoikit.training.epochs import CropEpochs, CropSchedule
from aoikit.training.loop import Epochs, fit_epochs

PLOTTED = {"loss": "training loss", "val_focal": "validation focal loss", "val_ap": "validation pixel AP"}


@dataclass
class DRAEMTrainConfig(CropSchedule):
    """Optimisation (:class:`CropSchedule`) and anomaly settings.

    ``anomaly_probability``, ``min_cell``, ``max_cell``, ``max_opacity``: see :class:`AnomalySynthesizer`.
    Validation pastes one anomaly on each of up to ``val_images`` held-out good images (fixed seed) and keeps
    the epoch with the best pixel average precision.
    """

    anomaly_probability: float = 0.5
    min_cell: int = 8
    max_cell: int = 128
    max_opacity: float = 0.8
    val_images: int = 16

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.val_images < 1:
            raise AoikitError(f"val_images must be positive, got {self.val_images}")
        if not 0 < self.anomaly_probability <= 1 or not 0 <= self.max_opacity < 1:
            raise AoikitError("anomaly_probability must lie in (0, 1] and max_opacity in [0, 1)")
        for name in ("min_cell", "max_cell"):
            value = getattr(self, name)
            if value < 1 or value & (value - 1):
                raise AoikitError(f"{name} must be a power of 2, got {value}")
        if self.min_cell > self.max_cell:
            raise AoikitError(f"min_cell ({self.min_cell}) must not exceed max_cell ({self.max_cell})")

    def synthesizer(self, probability: float | None = None) -> AnomalySynthesizer:
        """The anomaly generator these settings describe."""
        p = self.anomaly_probability if probability is None else probability
        return AnomalySynthesizer(p, self.min_cell, self.max_cell, self.max_opacity)


class DRAEMEpochs(CropEpochs):
    """Batches of crops of good images with synthetic anomalies; validation: focal loss and pixel average precision
    on held-out images with one anomaly each (the best epoch has the highest AP)."""

    columns = ("loss", "l2", "ssim", "focal")

    def __init__(
        self,
        model: DRAEM,
        train_images: Sequence[np.ndarray],
        val_images: Sequence[np.ndarray],
        cfg: DRAEMTrainConfig,
        governor: ThreadGovernor,
        device: torch.device,
    ) -> None:
        super().__init__(model, cfg, governor)
        self.draem, self.train_images, self.draem_cfg, self.device = model, train_images, cfg, device
        self.synth = cfg.synthesizer()
        self.val = validation_set(val_images[: cfg.val_images], cfg, train_images)

    def batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return _batch(self.train_images, self.draem_cfg, self.synth, self.rng)

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        clean, noisy, mask = (to_device(t, self.device) for t in batch)
        return draem_loss(self.draem(noisy), clean, mask)

    def validate(self) -> tuple[dict[str, float], float]:
        val_focal, val_ap = evaluate_synthetic(self.draem, *self.val, device=self.device)
        return {"val_focal": val_focal, "val_ap": val_ap}, val_ap


def train_draem(
    model: DRAEM,
    train_images: Sequence[np.ndarray],
    val_images: Sequence[np.ndarray],
    cfg: DRAEMTrainConfig,
    out_dir: Path,
    resume: bool = False,
    extra: dict[str, Any] | None = None,
    on_epoch: EpochHook | None = None,
) -> list[dict[str, float]]:
    """Train on crops of good working-frame images with synthetic anomalies; keep the best validation epoch.

    ``out_dir`` receives ``last/`` (every epoch, with optimiser and RNG state for resume), ``best/``,
    ``history.csv`` and ``loss.png``; ``on_epoch`` runs after each epoch is saved. Returns one row per epoch, resumed
    epochs included.
    """
    runtime = setup_runtime(cfg.device, False, cfg.threads)
    tqdm.write(f"training on {runtime}")
    model.to(runtime.device)
    epochs = DRAEMEpochs(model, train_images, val_images, cfg, runtime.governor(), runtime.device)
    extra = {**(extra or {}), "runtime": runtime.as_dict()}
    plan = Epochs(
        Path(out_dir), "draem", cfg.epochs, PLOTTED, "loss / AP", extra, True, on_epoch=on_epoch, desc="draem"
    )
    return fit_epochs(epochs, plan, resume)


def _batch(
    images: Sequence[np.ndarray], cfg: DRAEMTrainConfig, synth: AnomalySynthesizer, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Clean crops, the same crops with anomalies, and their masks, each (B, 1, c, c)."""
    c = cfg.crop_size
    clean, noisy, masks = [], [], []
    for index in rng.integers(len(images), size=cfg.batch_size):
        image = images[index]
        y, x = rng.integers(image.shape[0] - c + 1), rng.integers(image.shape[1] - c + 1)
        crop = image[y : y + c, x : x + c]
        anomalous, mask = synth(crop, rng, images)
        clean.append(crop)
        noisy.append(anomalous)
        masks.append(mask)
    return tuple(torch.from_numpy(np.stack(a).astype(np.float32))[:, None] for a in (clean, noisy, masks))  # type: ignore[return-value]


def validation_set(
    images: Sequence[np.ndarray], cfg: DRAEMTrainConfig, good: Sequence[np.ndarray]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Held-out good images with one synthetic anomaly each (seeded by ``cfg.seed``, the same every epoch)."""
    rng = np.random.default_rng(cfg.seed + 1)
    synth = cfg.synthesizer(probability=1.0)
    pairs = [synth(image, rng, good) for image in images]
    return tuple(torch.from_numpy(np.stack(a).astype(np.float32))[:, None] for a in zip(*pairs, strict=True))  # type: ignore[return-value]


@torch.inference_mode()
def evaluate_synthetic(
    model: DRAEM, images: torch.Tensor, masks: torch.Tensor, batch: int = 4, device: torch.device | None = None
) -> tuple[float, float]:
    """Mean focal loss and pixel average precision of the anomaly map on images with known synthetic masks (run on
    ``device``, default the CPU)."""
    model.eval()
    logits = torch.cat([model(to_device(b, device or torch.device("cpu"))).logits.cpu() for b in images.split(batch)])
    labels = masks.flatten().numpy() > 0.5
    ap = float(average_precision_score(labels, logits.flatten().numpy())) if labels.any() else 0.0
    return float(focal_loss(logits, masks)), ap

"""The supervised family's part of training: crops of labelled images (defect crops oversampled) and their
validation, run by the one training loop (:func:`aoikit.training.loop.fit_epochs`)."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.metrics import average_precision_score
from tqdm import tqdm

from aoikit.detector import EpochHook
from aoikit.errors import AoikitError, check_fraction
from aoikit.models.unet.loss import defect_probability, segmentation_loss
from aoikit.models.unet.network import SegNet
from aoikit.runtime import setup_runtime, to_device
from aoikit.threads import ThreadGovernor
from aoikit.training.epochs import CropEpochs, CropSchedule
from aoikit.training.loop import Epochs, fit_epochs


@dataclass(frozen=True)
class LabelMap:
    """A working-frame image and its class per pixel: 0 background, k ≥ 1 the k-th defect type."""

    image: np.ndarray
    labels: np.ndarray


PLOTTED = {"loss": "training loss", "val_loss": "validation loss", "val_ap": "validation pixel AP"}


@dataclass
class SegTrainConfig(CropSchedule):
    """Optimisation settings of the supervised family (:class:`CropSchedule`).

    A crop is centred near a defect pixel with probability ``defect_share`` (defects are rare pixels), else taken
    anywhere in any image, flipped at random. ``val_fraction`` of the defect images is held out to pick the epoch
    with the best pixel average precision.
    """

    epochs: int = 20
    steps_per_epoch: int = 50
    lr: float = 1e-3
    defect_share: float = 0.5
    val_fraction: float = 0.2

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.defect_share <= 1:
            raise AoikitError(f"defect_share must lie in [0, 1], got {self.defect_share}")
        check_fraction(self.val_fraction, "val_fraction")


class SegEpochs(CropEpochs):
    """Batches of labelled crops (:class:`CropSampler`); validation: loss and pixel AP on whole held-out images (the
    best epoch has the highest AP, or the lowest loss when no validation pixel is a defect)."""

    def __init__(
        self,
        model: SegNet,
        train: Sequence[LabelMap],
        val: Sequence[LabelMap],
        cfg: SegTrainConfig,
        governor: ThreadGovernor,
        device: torch.device,
    ) -> None:
        super().__init__(model, cfg, governor)
        self.segnet, self.val, self.device, self.batch_size = model, val, device, cfg.batch_size
        self.sampler = CropSampler(train, cfg.crop_size, cfg.defect_share)
        self.has_defects = any(item.labels.any() for item in val)

    def batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.sampler.batch(self.batch_size, self.rng)

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        images, labels = batch
        return segmentation_loss(self.segnet(to_device(images, self.device)), to_device(labels, self.device))

    def validate(self) -> tuple[dict[str, float], float]:
        val_loss, val_ap = validate(self.segnet, self.val, self.device)
        return {"val_loss": val_loss, "val_ap": val_ap}, val_ap if self.has_defects else -val_loss


def train_segmenter(
    model: SegNet,
    train: Sequence[LabelMap],
    val: Sequence[LabelMap],
    cfg: SegTrainConfig,
    out_dir: Path,
    resume: bool = False,
    extra: dict[str, Any] | None = None,
    on_epoch: EpochHook | None = None,
) -> list[dict[str, float]]:
    """Train on working-frame images with label maps; keep the epoch with the best validation pixel AP (the lowest
    validation loss when no validation pixel is a defect).

    ``out_dir`` receives ``last/`` (every epoch, with optimiser and RNG state for resume), ``best/``,
    ``history.csv`` and ``loss.png``; ``on_epoch`` runs after each epoch is saved. Returns one row per epoch, resumed
    epochs included.
    """
    runtime = setup_runtime(cfg.device, False, cfg.threads)
    tqdm.write(f"training on {runtime}")
    model.to(runtime.device)
    epochs = SegEpochs(model, train, val, cfg, runtime.governor(), runtime.device)
    extra = {**(extra or {}), "runtime": runtime.as_dict()}
    plan = Epochs(Path(out_dir), "unet", cfg.epochs, PLOTTED, "loss / AP", extra, True, on_epoch=on_epoch, desc="unet")
    return fit_epochs(epochs, plan, resume)


class CropSampler:
    """Random square crops of labelled images; a share of them centred near a defect pixel."""

    def __init__(self, items: Sequence[LabelMap], size: int, defect_share: float) -> None:
        if not items or any(min(item.image.shape) < size for item in items):
            raise AoikitError(f"training needs images at least {size} px on each side (crop_size)")
        self.items, self.size, self.defect_share = list(items), size, defect_share
        self.defects = [np.argwhere(item.labels > 0) for item in self.items]
        self.with_defects = [i for i, pixels in enumerate(self.defects) if len(pixels)]

    def batch(self, count: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(count, 1, s, s) float images and (count, s, s) int64 labels."""
        crops = [self._crop(rng) for _ in range(count)]
        images = torch.from_numpy(np.stack([c[0] for c in crops]).astype(np.float32))[:, None]
        return images, torch.from_numpy(np.stack([c[1] for c in crops]).astype(np.int64))

    def _crop(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        s = self.size
        if self.with_defects and rng.random() < self.defect_share:
            index = self.with_defects[rng.integers(len(self.with_defects))]
            y, x = self.defects[index][rng.integers(len(self.defects[index]))]
            h, w = self.items[index].labels.shape
            top = int(np.clip(y - rng.integers(s), 0, h - s))
            left = int(np.clip(x - rng.integers(s), 0, w - s))
        else:
            index = int(rng.integers(len(self.items)))
            h, w = self.items[index].labels.shape
            top, left = int(rng.integers(h - s + 1)), int(rng.integers(w - s + 1))
        item = self.items[index]
        image = item.image[top : top + s, left : left + s]
        labels = item.labels[top : top + s, left : left + s]
        for axis in (0, 1):
            if rng.random() < 0.5:
                image, labels = np.flip(image, axis), np.flip(labels, axis)
        return image, labels


@torch.inference_mode()
def validate(model: SegNet, items: Sequence[LabelMap], device: torch.device) -> tuple[float, float]:
    """Mean loss over whole validation images and the pixel average precision of the defect probability
    (0 when no validation pixel is a defect)."""
    model.eval()
    losses, probs, truths = [], [], []
    for item in items:
        x = torch.from_numpy(np.ascontiguousarray(item.image, dtype=np.float32))[None, None].to(device)
        target = torch.from_numpy(item.labels.astype(np.int64))[None].to(device)
        logits = model(x)
        losses.append(float(segmentation_loss(logits, target)["loss"]))
        probs.append(defect_probability(logits).cpu().numpy().ravel())
        truths.append(item.labels.ravel() > 0)
    truth = np.concatenate(truths)
    ap = float(average_precision_score(truth, np.concatenate(probs))) if truth.any() else 0.0
    return float(np.mean(losses)), ap

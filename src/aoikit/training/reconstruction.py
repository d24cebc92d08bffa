"""Training a reconstruction model (the SSIM autoencoder) on random patches: its settings and its epoch step for
the one training loop (:func:`aoikit.training.loop.fit_epochs`)."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from tqdm import tqdm

from aoikit.data.patches import random_crops
from aoikit.errors import AoikitError, check_window
from aoikit.losses.ssim import WINDOW
from aoikit.runtime import RuntimeOptions, setup_runtime, to_device
from aoikit.threads import ThreadGovernor
from aoikit.training.loop import Epochs, fit_epochs
from aoikit.training.steps import LOSSES, ReconstructionStep


@dataclass
class TrainConfig(RuntimeOptions):
    """Optimisation settings.

    ``device``: auto (CUDA when available, else the CPU), cpu, cuda or cuda:N. ``amp`` runs the model
    under bfloat16 autocast, channels-last (the loss stays float32): 1.5-1.8x the patches/s of float32
    on a CPU with AVX512-BF16, with the same loss curve, but several times slower where bf16 is
    emulated (AVX2); ``"auto"`` uses it only where bf16 is native, True/False force it.
    ``threads=None`` uses every available core.
    """

    epochs: int = 100
    batch_size: int = 16
    lr: float = 2e-4
    weight_decay: float = 1e-5
    loss: str = "dssim"
    window_size: int = WINDOW
    patches_per_epoch: int = 4096
    augment: bool = True
    patience: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.epochs < 1 or self.batch_size < 1 or self.patches_per_epoch < 1:
            raise AoikitError("epochs, batch_size and patches_per_epoch must be positive")
        if self.lr < 0 or self.weight_decay < 0:
            raise AoikitError(f"lr and weight_decay must be non-negative, got {self.lr}, {self.weight_decay}")
        if self.loss not in LOSSES:
            raise AoikitError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        check_window(self.window_size, "window_size")
        if self.patience is not None and self.patience < 1:
            raise AoikitError(f"patience must be at least 1, got {self.patience}")


class ReconstructionEpochs:
    """One epoch: ``cfg.patches_per_epoch`` random (augmented) patches of ``train_images`` in shuffled batches;
    validation: the mean loss over ``val_patches``."""

    def __init__(
        self,
        model: nn.Module,
        train_images: Tensor,
        val_patches: Tensor,
        cfg: TrainConfig,
        step: ReconstructionStep,
        device: torch.device,
        governor: ThreadGovernor,
    ) -> None:
        self.model, self.train_images, self.val_patches, self.cfg = model, train_images, val_patches, cfg
        self.step, self.device, self.governor = step, device, governor
        self.optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.generator = torch.Generator().manual_seed(cfg.seed)

    def train_epoch(self, epoch: int) -> dict[str, float]:
        cfg, augment = self.cfg, self.cfg.augment
        patch = self.val_patches.shape[-1]
        patches = random_crops(self.train_images, cfg.patches_per_epoch, patch, self.generator, augment, augment)
        order = torch.randperm(len(patches), generator=self.generator)
        train_loss = 0.0
        for index in order.split(cfg.batch_size):
            with self.governor.step():
                logs = self.step.train_step(self.model, to_device(patches[index], self.device), self.optimizer)
            train_loss += logs["loss"] * len(index) / len(patches)
        return {"train_loss": train_loss}

    def validate(self) -> tuple[dict[str, float], float]:
        batches = self.val_patches.split(self.cfg.batch_size)
        total = sum(self.step.eval_step(self.model, to_device(b, self.device))["loss"] * len(b) for b in batches)
        val_loss = total / len(self.val_patches)
        return {"val_loss": val_loss}, val_loss

    def state(self) -> dict[str, Any]:
        return {"generator": self.generator.get_state()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])


def train(
    model: nn.Module,
    model_name: str,
    train_images: Tensor,
    val_patches: Tensor,
    cfg: TrainConfig,
    out_dir: Path,
    resume: bool = False,
    extra: dict[str, Any] | None = None,
    on_epoch: Callable[[nn.Module, int], None] | None = None,
) -> list[dict[str, float]]:
    """Train ``model`` on random patches of ``train_images``, keeping the best model by validation loss.

    Prints the device, precision and thread count first, and saves them as ``runtime`` in each checkpoint's
    config.json (:meth:`Runtime.as_dict`).

    Args:
        model: a registered reconstruction model, moved to the training device and trained in place.
        model_name: its registry name, recorded in checkpoints.
        train_images: (N, C, H, W) floats in [0, 1], at least p on each side.
        val_patches: (M, C, p, p) held-out patches in [0, 1]; training crops p × p patches.
        cfg: optimisation settings.
        out_dir: receives ``last/`` (every epoch, for resume), ``best/``, ``history.csv`` and ``loss.png``.
        resume: continue from ``out_dir/last`` when it exists (a fresh start otherwise).
        extra: JSON-able entries stored in each checkpoint's config.json.
        on_epoch: run after each epoch is saved (:attr:`aoikit.training.loop.Epochs.on_epoch`).

    Returns:
        One {"epoch", "train_loss", "val_loss", "seconds"} row per epoch, resumed epochs included.
    """
    _check_inputs(train_images, val_patches, cfg)
    runtime = setup_runtime(cfg.device, cfg.amp, cfg.threads)
    tqdm.write(f"training on {runtime}")
    step = ReconstructionStep(cfg.loss, cfg.window_size, runtime.amp)
    step.prepare(model.to(runtime.device))
    epochs = ReconstructionEpochs(model, train_images, val_patches, cfg, step, runtime.device, runtime.governor())
    plan = Epochs(
        Path(out_dir),
        model_name,
        cfg.epochs,
        {"train_loss": "training", "val_loss": "validation"},
        f"{cfg.loss} loss",
        extra={**(extra or {}), "runtime": runtime.as_dict()},
        log_lr=False,
        patience=cfg.patience,
        on_epoch=on_epoch,
    )
    return fit_epochs(epochs, plan, resume)


def _check_inputs(train_images: Tensor, val_patches: Tensor, cfg: TrainConfig) -> None:
    if val_patches.ndim != 4 or len(val_patches) == 0:
        raise AoikitError(f"validation patches must be a non-empty (M, C, p, p) batch, got {tuple(val_patches.shape)}")
    patch = val_patches.shape[-1]
    if train_images.ndim != 4 or min(train_images.shape[-2:]) < patch:
        raise AoikitError(
            f"training images must be (N, C, H, W) with sides >= {patch}, got {tuple(train_images.shape)}"
        )

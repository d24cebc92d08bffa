"""The training loop for reconstruction models: random patches, Adam, validation, checkpoints, resume."""

import math
import time
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
from aoikit.training.checkpoint import checkpoint_exists, load_training_state, save_checkpoint
from aoikit.training.history import plot_history, write_history
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


def train(
    model: nn.Module,
    model_name: str,
    train_images: Tensor,
    val_patches: Tensor,
    cfg: TrainConfig,
    out_dir: Path,
    resume: bool = False,
    extra: dict[str, Any] | None = None,
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

    Returns:
        One {"epoch", "train_loss", "val_loss", "seconds"} row per epoch, resumed epochs included.
    """
    _check_inputs(train_images, val_patches, cfg)
    runtime = setup_runtime(cfg.device, cfg.amp, cfg.threads)
    tqdm.write(f"training on {runtime}")
    extra = {**(extra or {}), "runtime": runtime.as_dict()}
    out_dir = Path(out_dir)
    step = ReconstructionStep(cfg.loss, cfg.window_size, runtime.amp)
    step.prepare(model.to(runtime.device))
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    governor = runtime.governor()
    generator = torch.Generator().manual_seed(cfg.seed)
    history: list[dict[str, float]] = []
    best, stale = math.inf, 0
    if resume and checkpoint_exists(out_dir / "last"):  # a save cut short is undone first
        state = load_training_state(out_dir / "last", model, optimizer)
        history, best, stale = state["history"], state["best_val"], state["stale_epochs"]
        generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])

    bar = tqdm(range(len(history), cfg.epochs), initial=len(history), total=cfg.epochs, desc="training", unit="epoch")
    for epoch in bar:
        start = time.perf_counter()
        augment = cfg.augment
        patches = random_crops(train_images, cfg.patches_per_epoch, val_patches.shape[-1], generator, augment, augment)
        order = torch.randperm(len(patches), generator=generator)
        train_loss = 0.0
        for index in order.split(cfg.batch_size):
            with governor.step():
                logs = step.train_step(model, to_device(patches[index], runtime.device), optimizer)
            train_loss += logs["loss"] * len(index) / len(patches)
        val_loss = _validate(step, model, val_patches, cfg.batch_size, runtime.device)
        history.append(
            {"epoch": epoch + 1, "train_loss": train_loss, "val_loss": val_loss, "seconds": time.perf_counter() - start}
        )
        if val_loss < best:
            best, stale = val_loss, 0
            save_checkpoint(out_dir / "best", model_name, model, extra)
        else:
            stale += 1
        trainer = {
            "history": history,
            "best_val": best,
            "stale_epochs": stale,
            "generator": generator.get_state(),
            "torch_rng": torch.get_rng_state(),
        }
        save_checkpoint(out_dir / "last", model_name, model, extra, optimizer, trainer)
        write_history(out_dir / "history.csv", history)
        plot_history(
            out_dir / "loss.png", history, {"train_loss": "training", "val_loss": "validation"}, f"{cfg.loss} loss"
        )
        bar.set_postfix(train=f"{train_loss:.4f}", val=f"{val_loss:.4f}", best=f"{best:.4f}")
        if cfg.patience is not None and stale >= cfg.patience:
            break
    bar.close()
    return history


def _check_inputs(train_images: Tensor, val_patches: Tensor, cfg: TrainConfig) -> None:
    if val_patches.ndim != 4 or len(val_patches) == 0:
        raise AoikitError(f"validation patches must be a non-empty (M, C, p, p) batch, got {tuple(val_patches.shape)}")
    patch = val_patches.shape[-1]
    if train_images.ndim != 4 or min(train_images.shape[-2:]) < patch:
        raise AoikitError(
            f"training images must be (N, C, H, W) with sides >= {patch}, got {tuple(train_images.shape)}"
        )


def _validate(
    step: ReconstructionStep, model: nn.Module, patches: Tensor, batch_size: int, device: torch.device
) -> float:
    """Mean loss over all validation patches."""
    total = sum(
        step.eval_step(model, to_device(batch, device))["loss"] * len(batch) for batch in patches.split(batch_size)
    )
    return total / len(patches)

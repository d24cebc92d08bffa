"""Epoch bookkeeping shared by the families trained on random crops for a fixed number of steps: a step-down
learning rate, resume, the best epoch by a validation score, history and plot."""

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from aoikit.errors import AoikitError
from aoikit.training.checkpoint import checkpoint_exists, load_training_state, save_checkpoint
from aoikit.training.history import plot_history, write_history


@dataclass
class CropSchedule:
    """An epoch is ``steps_per_epoch`` batches of ``batch_size`` crops of ``crop_size`` px; the learning rate
    drops 5× after ``lr_drop`` of the epochs. ``threads=None``: all cores (fewer while the machine is busy)."""

    epochs: int = 16
    steps_per_epoch: int = 100
    batch_size: int = 8
    crop_size: int = 128
    lr: float = 4e-4
    lr_drop: float = 0.8
    seed: int = 0
    threads: int | None = None

    def __post_init__(self) -> None:
        if min(self.epochs, self.steps_per_epoch, self.batch_size, self.crop_size) < 1:
            raise AoikitError("epochs, steps_per_epoch, batch_size and crop_size must be positive")
        if self.lr <= 0 or not 0 < self.lr_drop <= 1:
            raise AoikitError(f"lr must be positive and lr_drop in (0, 1], got {self.lr}, {self.lr_drop}")


def step_down_lr(optimizer: torch.optim.Optimizer, lr: float, epoch: int, drop_at: float, epochs: int) -> None:
    """``lr`` before ``drop_at`` of the ``epochs``, ``lr / 5`` after."""
    for group in optimizer.param_groups:
        group["lr"] = lr if epoch < drop_at * epochs else lr / 5


def descend(optimizer: torch.optim.Optimizer, loss: Tensor) -> None:
    """One optimiser step on ``loss``."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


class BestEpochs:
    """The epochs of one run in ``out_dir``: ``last/`` every epoch (optimiser and RNG states, for resume),
    ``best/`` at the highest validation score, ``history.csv`` and ``loss.png`` (the ``plotted`` columns)."""

    def __init__(
        self,
        out_dir: Path,
        name: str,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        rng: np.random.Generator,
        extra: dict[str, Any] | None,
        plotted: dict[str, str],
    ) -> None:
        self.out_dir, self.name, self.model, self.optimizer, self.rng = Path(out_dir), name, model, optimizer, rng
        self.extra, self.plotted = extra, plotted
        self.history: list[dict[str, float]] = []
        self.best = -math.inf

    def resume(self) -> None:
        """Continue from ``last/`` when it exists (a save cut short is undone first)."""
        if checkpoint_exists(self.out_dir / "last"):
            state = load_training_state(self.out_dir / "last", self.model, self.optimizer)
            self.history, self.best = state["history"], state["best_val"]
            self.rng.bit_generator.state = state["rng"]
            torch.set_rng_state(state["torch_rng"])

    def end(self, row: dict[str, float], start: float, score: float) -> None:
        """Record an epoch's ``row`` begun at ``start`` (``time.perf_counter``) whose validation ``score`` (higher
        is better) decides whether it is the best so far, and save."""
        lr = self.optimizer.param_groups[0]["lr"]
        self.history.append({**row, "lr": lr, "seconds": time.perf_counter() - start})
        if score > self.best:
            self.best = score
            save_checkpoint(self.out_dir / "best", self.name, self.model, self.extra)
        trainer = {
            "history": self.history,
            "best_val": self.best,
            "rng": self.rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(),
        }
        save_checkpoint(self.out_dir / "last", self.name, self.model, self.extra, self.optimizer, trainer)
        write_history(self.out_dir / "history.csv", self.history)
        plot_history(self.out_dir / "loss.png", self.history, self.plotted, "loss / AP")

"""What the families trained on random crops for a fixed number of steps share: their schedule, a step-down
learning rate and the epoch step (the loop itself is :func:`aoikit.training.loop.fit_epochs`)."""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from aoikit.errors import AoikitError
from aoikit.runtime import check_device
from aoikit.threads import ThreadGovernor


@dataclass
class CropSchedule:
    """An epoch is ``steps_per_epoch`` batches of ``batch_size`` crops of ``crop_size`` px; the learning rate
    drops 5× after ``lr_drop`` of the epochs. ``device``: auto (CUDA when there is one), cpu, cuda or cuda:N.
    ``threads=None``: all cores (fewer while the machine is busy)."""

    epochs: int = 16
    steps_per_epoch: int = 100
    batch_size: int = 8
    crop_size: int = 128
    lr: float = 4e-4
    lr_drop: float = 0.8
    seed: int = 0
    device: str = "auto"
    threads: int | None = None

    def __post_init__(self) -> None:
        check_device(self.device)
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


class CropEpochs(ABC):
    """The epoch step of a family trained by :class:`CropSchedule` (:class:`aoikit.training.loop.EpochStep`): Adam,
    the step-down learning rate, ``steps_per_epoch`` batches each drawn by :meth:`batch` and descended on
    :meth:`loss`'s ``"loss"``, and the mean of each of :attr:`columns` over the epoch."""

    columns: tuple[str, ...] = ("loss",)
    """Loss terms averaged into the history."""

    def __init__(self, model: nn.Module, cfg: CropSchedule, governor: ThreadGovernor) -> None:
        self.model, self.cfg, self.governor = model, cfg, governor
        self.optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        self.rng = np.random.default_rng(cfg.seed)

    @abstractmethod
    def batch(self) -> Any:
        """A training batch drawn with :attr:`rng`."""

    @abstractmethod
    def loss(self, batch: Any) -> dict[str, Tensor]:
        """The loss terms of ``batch``; ``"loss"`` is descended."""

    def train_epoch(self, epoch: int) -> dict[str, float]:
        cfg = self.cfg
        step_down_lr(self.optimizer, cfg.lr, epoch, cfg.lr_drop, cfg.epochs)
        self.model.train()
        sums = dict.fromkeys(self.columns, 0.0)
        for _ in range(cfg.steps_per_epoch):
            batch = self.batch()
            with self.governor.step():
                terms = self.loss(batch)
                descend(self.optimizer, terms["loss"])
            for key in sums:
                sums[key] += terms[key].item() / cfg.steps_per_epoch
        return sums

    def state(self) -> dict[str, Any]:
        return {"rng": self.rng.bit_generator.state}

    def load_state(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["rng"]

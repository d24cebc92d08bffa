"""The one training loop: epochs, resume, the best epoch by a validation score, history and plot, patience and an
epoch hook. Each trained family supplies its :class:`EpochStep`: what one epoch trains and how it is validated."""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn
from tqdm import tqdm

from aoikit.training.checkpoint import checkpoint_exists, load_training_state, save_checkpoint
from aoikit.training.history import plot_history, write_history


class EpochStep(Protocol):
    """A family's part of training: its model and main optimiser (saved in ``last/`` with the weights), one epoch
    of updates and its validation, and whatever random or optimiser state resuming must restore."""

    @property
    def model(self) -> nn.Module:
        """The network trained in place."""
        ...

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        """The main optimiser (the one whose learning rate the history logs)."""
        ...

    def train_epoch(self, epoch: int) -> dict[str, float]:
        """Train epoch ``epoch`` (from 0); the history columns it adds (mean losses, ...)."""
        ...

    def validate(self) -> tuple[dict[str, float], float]:
        """The validation columns of the epoch and the score that picks ``best/``."""
        ...

    def state(self) -> dict[str, Any]:
        """State to save in ``last/`` besides the weights and the main optimiser (random generators, ...)."""
        ...

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state` saved."""
        ...


@dataclass
class Epochs:
    """How a run's epochs are kept in ``out_dir``.

    ``name``: the registry name of the model, recorded in each checkpoint with ``extra``. ``maximise``: a higher
    validation score is better (else lower). ``plotted`` (column -> legend label) and ``ylabel`` draw ``loss.png``.
    ``log_lr``: add the learning rate of the epoch as column ``lr``. ``patience``: stop after this many epochs
    without a better score (None: never). ``on_epoch(model, epoch)`` runs after each epoch is saved, the model in
    eval mode; it may raise to stop.
    """

    out_dir: Path
    name: str
    epochs: int
    plotted: dict[str, str]
    ylabel: str
    extra: dict[str, Any] = field(default_factory=dict)
    maximise: bool = False
    log_lr: bool = True
    patience: int | None = None
    on_epoch: Callable[[nn.Module, int], None] | None = None
    desc: str = "training"


def fit_epochs(step: EpochStep, plan: Epochs, resume: bool = False) -> list[dict[str, float]]:
    """Train ``step`` for ``plan.epochs`` epochs, continuing from ``out_dir/last`` when ``resume`` and it exists (a
    save cut short is undone first).

    ``out_dir`` receives ``last/`` every epoch (weights, optimiser, random states), ``best/`` at each better
    validation score, ``history.csv`` and ``loss.png``. Returns one row per epoch, resumed epochs included:
    ``epoch``, the step's training and validation columns, ``lr`` (``plan.log_lr``) and ``seconds``.
    """
    out_dir = Path(plan.out_dir)
    history: list[dict[str, float]] = []
    best, stale = (-math.inf if plan.maximise else math.inf), 0
    if resume and checkpoint_exists(out_dir / "last"):
        state = load_training_state(out_dir / "last", step.model, step.optimizer)
        history, best, stale = state["history"], state["best_val"], state.get("stale_epochs", 0)
        step.load_state(state)
        torch.set_rng_state(state["torch_rng"])

    done = len(history)
    bar = tqdm(range(done, plan.epochs), initial=done, total=plan.epochs, desc=plan.desc, unit="epoch")
    for epoch in bar:
        start = time.perf_counter()
        row = step.train_epoch(epoch)
        checked, score = step.validate()
        lr = {"lr": step.optimizer.param_groups[0]["lr"]} if plan.log_lr else {}
        history.append({"epoch": epoch + 1, **row, **checked, **lr, "seconds": time.perf_counter() - start})
        if score > best if plan.maximise else score < best:
            best, stale = score, 0
            save_checkpoint(out_dir / "best", plan.name, step.model, plan.extra)
        else:
            stale += 1
        trainer = {"history": history, "best_val": best, "stale_epochs": stale, **step.state()}
        trainer["torch_rng"] = torch.get_rng_state()
        save_checkpoint(out_dir / "last", plan.name, step.model, plan.extra, step.optimizer, trainer)
        write_history(out_dir / "history.csv", history)
        plot_history(out_dir / "loss.png", history, plan.plotted, plan.ylabel)
        bar.set_postfix({key: f"{value:.4f}" for key, value in {**row, **checked}.items()} | {"best": f"{best:.4f}"})
        if plan.on_epoch is not None:
            step.model.eval()
            plan.on_epoch(step.model, epoch + 1)
        if plan.patience is not None and stale >= plan.patience:
            break
    bar.close()
    return history

"""GANomaly's part of training: whole images, two Adam optimisers, linear lr decay and its validation score, run by
the one training loop (:func:`aoikit.training.loop.fit_epochs`)."""

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from tqdm import tqdm

from aoikit.detector import EpochHook
from aoikit.errors import AoikitError
from aoikit.models.ganomaly.network import GANomaly
from aoikit.models.ganomaly.presets import SCHEDULES, Schedule
from aoikit.models.ganomaly.step import GANomalyStep
from aoikit.runtime import Runtime, RuntimeOptions, setup_runtime, to_device
from aoikit.training.loop import Epochs, fit_epochs

PLOTTED = {"g_loss": "generator loss", "d_loss": "discriminator loss", "val_score": "validation score A"}
"""History columns drawn in loss.png, with their legend labels."""


@dataclass
class GANTrainConfig(RuntimeOptions):
    """Optimisation settings for GANomaly.

    ``schedule`` names where ``epochs``, ``batch_size``, ``lr``, ``beta1`` and ``lr_decay`` come from when they
    are None (:data:`aoikit.models.ganomaly.presets.SCHEDULES`; :attr:`plan` holds the values used): "default"
    trains 15 epochs in batches of 16, "seed" the LED study's 200 epochs in batches of 1, both at lr 1e-4 and
    β1 0.5 with linear decay. ``lr_decay`` scales both learning rates by ``1 − epoch / epochs`` (the linear
    "lambda" rule of the original code): ``lr`` in the first epoch, ``lr / epochs`` in the last.

    Batch size 1 changes what BatchNorm does. In training each image is normalised by its own statistics (per
    channel, over its positions alone, much like instance normalisation), so a step never mixes images; at
    inference (eval mode) BatchNorm uses running averages of those per-image statistics instead, so eval-mode
    outputs depart further from training-mode ones than with larger batches.

    ``device``: auto (CUDA when available, else the CPU), cpu, cuda or cuda:N. ``amp`` runs the training steps
    under bfloat16 autocast (scores and SSIM stay float32); ``"auto"`` only where bf16 is native (see
    ``aoikit.runtime``), True/False force it. ``threads=None`` uses every available core.
    """

    schedule: str = "default"
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    beta1: float | None = None
    lr_decay: bool | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.schedule not in SCHEDULES:
            raise AoikitError(f"unknown schedule {self.schedule!r}; known schedules: {', '.join(SCHEDULES)}")
        plan = self.plan
        if plan.epochs < 1 or plan.batch_size < 1:
            raise AoikitError("epochs and batch_size must be positive")
        if plan.lr < 0 or not 0 <= plan.beta1 < 1:
            raise AoikitError(f"lr must be non-negative and beta1 in [0, 1), got {plan.lr}, {plan.beta1}")

    @property
    def plan(self) -> Schedule:
        """The schedule these settings train by: the named one, with the values set here instead."""
        given = {f.name: getattr(self, f.name) for f in fields(Schedule)}
        return replace(SCHEDULES[self.schedule], **{name: value for name, value in given.items() if value is not None})


class GANomalyEpochs:
    """One epoch: shuffled, randomly mirrored whole images in batches, both networks updated by ``step``, both
    learning rates set by the schedule first; validation: the mean raw score A of the held-out images."""

    def __init__(
        self,
        model: GANomaly,
        train_images: Tensor,
        val_images: Tensor,
        step: GANomalyStep,
        cfg: GANTrainConfig,
        runtime: Runtime,
    ) -> None:
        self.model, self.train_images, self.val_images, self.step = model, train_images, val_images, step
        self.plan, self.runtime = cfg.plan, runtime
        betas = (self.plan.beta1, 0.999)
        self.optimizer = torch.optim.Adam(model.generator.parameters(), lr=self.plan.lr, betas=betas)
        self.opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=self.plan.lr, betas=betas)
        self.rng = torch.Generator().manual_seed(cfg.seed)
        self.governor = runtime.governor()

    def train_epoch(self, epoch: int) -> dict[str, float]:
        plan, runtime, n = self.plan, self.runtime, len(self.train_images)
        lr = plan.lr * (1 - epoch / plan.epochs) if plan.lr_decay else plan.lr
        for group in [*self.optimizer.param_groups, *self.opt_d.param_groups]:
            group["lr"] = lr
        row = dict.fromkeys(("g_loss", "adv", "con", "enc", "d_loss", "d_resets"), 0.0)
        for index in torch.randperm(n, generator=self.rng).split(plan.batch_size):
            batch = to_device(_mirror(self.train_images[index], self.rng), runtime.device)
            with self.governor.step(), torch.autocast(runtime.device.type, dtype=torch.bfloat16, enabled=runtime.amp):
                logs = self.step.train_step(self.model, batch, self.optimizer, self.opt_d)
            logs["g_loss"] = logs.pop("loss")
            for key in ("g_loss", "adv", "con", "enc", "d_loss"):
                row[key] += logs[key] * len(index) / n
            row["d_resets"] += logs["d_reset"]
        return row

    def validate(self) -> tuple[dict[str, float], float]:
        val = validation_score(self.step, self.model, self.val_images, self.plan.batch_size)
        return {"val_score": val}, val

    def state(self) -> dict[str, Any]:
        return {"opt_d": self.opt_d.state_dict(), "rng": self.rng.get_state()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.opt_d.load_state_dict(state["opt_d"])
        self.rng.set_state(state["rng"])


def train_gan(
    model: GANomaly,
    preset_name: str,
    train_images: Tensor,
    val_images: Tensor,
    step: GANomalyStep,
    cfg: GANTrainConfig,
    out_dir: Path,
    resume: bool = False,
    extra: dict[str, Any] | None = None,
    on_epoch: EpochHook | None = None,
) -> list[dict[str, float]]:
    """Train ``model`` on shuffled, randomly mirrored whole images; keep the model with the best validation score.

    The validation score is the mean raw anomaly score A (``step.score``) of the held-out good images in
    eval mode: it does not depend on the discriminator, and lower means good images are reconstructed and
    re-encoded better. ``best/`` holds the epoch with the lowest value. Prints the device, precision and
    thread count first, and saves them as ``runtime`` in each checkpoint's config.json.

    Args:
        model: a GANomaly model, moved to the training device and trained in place.
        preset_name: recorded in each checkpoint's config.json as ``preset``.
        train_images: (N, C, S, S) good images in [0, 1] at the model's image size.
        val_images: (M, C, S, S) held-out good images in [0, 1].
        step: the generator loss and the score.
        cfg: optimisation settings.
        out_dir: receives ``last/`` (every epoch: both optimisers and the RNG states, for resume),
            ``best/``, ``history.csv`` and ``loss.png``.
        resume: continue from ``out_dir/last`` when it exists (a fresh start otherwise).
        extra: more JSON-able entries for each checkpoint's config.json.
        on_epoch: run after each epoch is saved, e.g. to report a validation value and stop a hopeless run.

    Returns:
        One row per epoch (resumed epochs included): the mean generator terms ``g_loss``, ``adv``,
        ``con``, ``enc``, ``d_loss``, the number of discriminator re-initialisations ``d_resets``,
        ``val_score``, ``lr`` and ``seconds``.
    """
    _check_inputs(model, train_images, val_images, cfg)
    runtime = setup_runtime(cfg.device, cfg.amp, cfg.threads)
    tqdm.write(f"training on {runtime}")
    model.to(runtime.device)
    epochs = GANomalyEpochs(model, train_images, val_images, step, cfg, runtime)
    extra = {"preset": preset_name, **(extra or {}), "runtime": runtime.as_dict()}
    plan = Epochs(
        Path(out_dir), "ganomaly", cfg.plan.epochs, PLOTTED, "loss / score", extra, on_epoch=on_epoch, desc=preset_name
    )
    return fit_epochs(epochs, plan, resume)


def validation_score(step: GANomalyStep, model: GANomaly, images: Tensor, batch_size: int) -> float:
    """Mean raw anomaly score A of ``images`` in eval mode."""
    device = next(model.parameters()).device
    total = sum(float(step.eval_step(model, to_device(b, device))["score"].sum()) for b in images.split(batch_size))
    return total / len(images)


def _mirror(batch: Tensor, rng: torch.Generator) -> Tensor:
    """Flip each image left-right with probability 1/2."""
    flip = torch.rand(len(batch), generator=rng) < 0.5
    return torch.where(flip[:, None, None, None], batch.flip(-1), batch)


def _check_inputs(model: GANomaly, train_images: Tensor, val_images: Tensor, cfg: GANTrainConfig) -> None:
    c = model.config
    shape = (c.channels, c.image_size, c.image_size)
    for name, images in (("training", train_images), ("validation", val_images)):
        if images.ndim != 4 or tuple(images.shape[1:]) != shape or len(images) == 0:
            raise AoikitError(
                f"{name} images must be a non-empty (N, {c.channels}, S, S) batch, S = {c.image_size}; "
                f"got {tuple(images.shape)}"
            )

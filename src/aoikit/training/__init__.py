"""Training: one plain PyTorch loop, step objects per model, config.json + safetensors checkpoints."""

from aoikit.training.checkpoint import (
    checkpoint_exists,
    load_arrays,
    load_checkpoint,
    load_training_state,
    save_checkpoint,
)
from aoikit.training.loop import Epochs, EpochStep, fit_epochs
from aoikit.training.reconstruction import TrainConfig, train
from aoikit.training.steps import ReconstructionStep

__all__ = [
    "EpochStep",
    "Epochs",
    "ReconstructionStep",
    "TrainConfig",
    "checkpoint_exists",
    "fit_epochs",
    "load_arrays",
    "load_checkpoint",
    "load_training_state",
    "save_checkpoint",
    "train",
]

"""Optimisation and validation steps for reconstruction models (the SSIM autoencoder)."""

import torch
from torch import Tensor, nn

from aoikit.errors import AoikitError
from aoikit.losses.ssim import WINDOW, SSIMLoss

LOSSES = ("dssim", "l2")


class ReconstructionStep:
    """Train and eval steps that compare a model's reconstruction with its input.

    Args:
        loss: ``"dssim"`` ((1 − SSIM) / 2, always computed in float32) or ``"l2"`` (mean squared error).
        window_size: SSIM window side in pixels.
        amp: run the model under bfloat16 autocast with channels-last batches; the loss stays float32.
    """

    def __init__(self, loss: str = "dssim", window_size: int = WINDOW, amp: bool = False) -> None:
        if loss not in LOSSES:
            raise AoikitError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
        self.loss = loss
        self.window_size = window_size
        self.amp = amp
        self.loss_fn: nn.Module = SSIMLoss(window_size) if loss == "dssim" else nn.MSELoss()

    def prepare(self, model: nn.Module) -> nn.Module:
        """Put ``model`` in the memory format the steps expect (channels-last with ``amp``), in place."""
        if not self.amp:
            return model
        return model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]  # untyped in torch stubs

    def _loss(self, model: nn.Module, batch: Tensor) -> Tensor:
        if self.amp:
            batch = batch.contiguous(memory_format=torch.channels_last)
        with torch.autocast(batch.device.type, dtype=torch.bfloat16, enabled=self.amp):
            recon = model(batch)
        return self.loss_fn(recon.float(), batch)

    def train_step(self, model: nn.Module, batch: Tensor, optimizer: torch.optim.Optimizer) -> dict[str, float]:
        """One optimiser update on ``batch``; returns {"loss": ...} before the update."""
        model.train()
        loss = self._loss(model, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"loss": loss.item()}

    @torch.no_grad()
    def eval_step(self, model: nn.Module, batch: Tensor) -> dict[str, float]:
        """The loss on ``batch`` in eval mode, without gradients."""
        model.eval()
        return {"loss": self._loss(model, batch).item()}

"""Training the autoencoder on a CUDA device: the loss falls and the checkpoints load on the CPU."""

from dataclasses import replace
from pathlib import Path

import pytest
import torch
from test_loop import TINY, TRAIN, VAL, fresh_model

from aoikit.models import load_network
from aoikit.training import ReconstructionStep, train

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")]


@pytest.mark.parametrize("amp", [False, "auto"])
def test_trains_on_cuda_and_loads_on_cpu(tmp_path: Path, amp: bool | str) -> None:
    model = fresh_model()
    before = ReconstructionStep().eval_step(model, VAL)["loss"]
    history = train(model, "ssim_ae", TRAIN, VAL, replace(TINY, device="cuda", amp=amp), tmp_path)

    assert next(model.parameters()).is_cuda
    assert history[-1]["val_loss"] < before
    best, meta = load_network(tmp_path / "best")
    assert all(p.device.type == "cpu" for p in best.parameters())
    assert meta["runtime"]["device"] == "cuda"
    assert ReconstructionStep().eval_step(best, VAL)["loss"] < before

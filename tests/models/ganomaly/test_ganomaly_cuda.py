"""Training GANomaly on a CUDA device: finite losses, and checkpoints that load on the CPU."""

import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from test_ganomaly_loop import STEP, TINY, TRAIN, VAL, fresh_model

from aoikit.models import load_network
from aoikit.models.ganomaly.loop import train_gan, validation_score

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")]


def test_trains_on_cuda_and_loads_on_cpu(tmp_path: Path) -> None:
    history = train_gan(fresh_model(), "tiny", TRAIN, VAL, STEP, replace(TINY, device="cuda"), tmp_path)

    assert all(math.isfinite(v) for row in history for v in row.values())
    best, meta = load_network(tmp_path / "best")
    assert all(p.device.type == "cpu" for p in best.parameters())
    assert meta["runtime"]["device"] == "cuda"
    best_val = min(r["val_score"] for r in history)  # computed on the GPU, where convolutions may use TF32
    assert validation_score(STEP, best, VAL, 4) == pytest.approx(best_val, rel=1e-2)

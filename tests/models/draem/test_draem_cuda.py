"""Training DRAEM on a CUDA device: finite losses, and checkpoints that load on the CPU."""

import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from test_draem_detector import TINY, _good, _train_config

from aoikit.models import load_network
from aoikit.models.draem.detector import DRAEMDetector

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")]


def test_trains_on_cuda_and_loads_on_cpu(tmp_path: Path) -> None:
    train, val = [_good(i) for i in range(6)], [_good(100 + i) for i in range(2)]
    config = replace(_train_config(epochs=2, steps_per_epoch=3, val_images=2), device="cuda")
    detector = DRAEMDetector(TINY, config).fit(train, val, tmp_path)
    assert all(math.isfinite(v) for row in detector.history_ for v in row.values())
    best, meta = load_network(tmp_path / "best")
    assert all(p.device.type == "cpu" for p in best.parameters())
    assert meta["runtime"]["device"] == "cuda"

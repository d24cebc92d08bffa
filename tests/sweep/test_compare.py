"""compare_presets trains each preset once, writes Table 3 with baselines and latency, and reuses finished runs."""

import csv
from pathlib import Path

import pytest

from aoikit.data.synthetic import make_synthetic_dataset
from aoikit.errors import AoikitError
from aoikit.models.ganomaly.loop import GANTrainConfig
from aoikit.sweep.compare import COLUMNS, compare_presets

PRESETS = ["ganomaly-l1-l1", "ganomaly-ssim-ssim"]
TINY = {"image_size": 64, "latent_dim": 8, "ngf": 8, "ndf": 8}


def test_compare_writes_table_and_skips_finished_runs(tmp_path: Path) -> None:
    data = make_synthetic_dataset(tmp_path / "data", size=64, n_train=10, n_test_good=3, n_test_defect=3)
    out = tmp_path / "compare"
    cfg = GANTrainConfig(batch_size=4, lr=2e-3)
    rows = compare_presets(str(data), None, out, PRESETS, 1, train_config=cfg, overrides=TINY, threads=1, frames=200)

    assert [r["preset"] for r in rows] == PRESETS and all(r["size"] == 64 and r["ngf"] == 8 for r in rows)
    assert rows[0]["vs_l1_l1_percent"] == 0.0
    for row in rows:
        assert all(0.0 <= row[k] <= 1.0 for k in ("image_auroc", "flat_auroc", "untrained_auroc"))
        assert 0.0 < row["ms_p50"] <= row["ms_p99"]
    with (out / "table3.csv").open() as f:
        assert list(csv.DictReader(f).fieldnames or []) == list(COLUMNS)
    markdown = (out / "table3.md").read_text()
    assert all(label in markdown for label in COLUMNS.values()) and "200 frames" in markdown and "1 of" in markdown
    for name in ("roc.png", *(f"hist_{p}.png" for p in PRESETS)):
        assert (out / name).stat().st_size > 0

    weights = {p: (out / p / "last" / "model.safetensors").stat().st_mtime_ns for p in PRESETS}
    again = compare_presets(str(data), None, out, PRESETS, 1, train_config=cfg, overrides=TINY, threads=1, frames=20)
    assert {p: (out / p / "last" / "model.safetensors").stat().st_mtime_ns for p in PRESETS} == weights
    assert [r["image_auroc"] for r in again] == [r["image_auroc"] for r in rows]
    with pytest.raises(AoikitError, match="other settings"):
        compare_presets(str(data), None, out, PRESETS[:1], 2, train_config=cfg, overrides=TINY, threads=1, frames=20)

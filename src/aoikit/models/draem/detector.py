"""DRAEM as a detector: images resized to a square working frame, the discriminative subnetwork's anomaly
probability as the map, the maximum of the smoothed map as the image score."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from aoikit.detector import IMAGE_SCORES, Detector, DetectorConfig
from aoikit.errors import AoikitError
from aoikit.models import create_model
from aoikit.models.draem.loop import DRAEMTrainConfig, train_draem
from aoikit.models.draem.network import DRAEM
from aoikit.models.onnx_backend import OneNetworkBackend, export_graph
from aoikit.training import load_checkpoint
from aoikit.types import LabelledImage


@dataclass
class DRAEMDetectorConfig(DetectorConfig):
    """``image_size``: side of the square working frame (a multiple of the network's ``multiple``).
    ``model_config``: the network's widths, depth and stem (:class:`DRAEMConfig`). ``image_score``: "max" of
    the map smoothed with ``score_sigma`` (pixels of the image's own size), or "area" (see the base).
    ``window`` does not change DRAEM's maps; every window gets the same map. Intensity matching is on by default."""

    model: str = "draem"
    match_intensity: bool = True
    image_size: int = 256
    score_sigma: float = 8.0
    image_score: str = "max"
    area_quantile: float = 0.99

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.model != "draem":
            raise AoikitError(f"the DRAEM family serves the model 'draem', got {self.model!r}")
        if self.image_score not in IMAGE_SCORES:
            raise AoikitError(f"image_score must be one of {IMAGE_SCORES}, got {self.image_score!r}")
        if self.score_sigma < 0 or not 0.0 < self.area_quantile < 1.0:
            raise AoikitError("score_sigma must be ≥ 0 and area_quantile strictly between 0 and 1")
        multiple = self.network().config.multiple
        if self.image_size < multiple or self.image_size % multiple:
            raise AoikitError(f"image_size must be a positive multiple of {multiple}, got {self.image_size}")

    def network(self) -> DRAEM:
        """A fresh network of the configured size."""
        model = create_model("draem", **self.model_config)
        assert isinstance(model, DRAEM)
        return model


class DRAEMDetector(OneNetworkBackend, Detector):
    """Reconstruction + discriminative network trained on synthetic anomalies (Zavrtanik et al., ICCV 2021)."""

    family = "draem"
    config_cls = DRAEMDetectorConfig
    train_config_cls = DRAEMTrainConfig
    config: DRAEMDetectorConfig
    train_config: DRAEMTrainConfig
    model_: DRAEM

    @property
    def working_size(self) -> int:
        return self.config.image_size

    def onnx_graph(self) -> bytes:
        """Both subnetworks: input ``x`` (N, 1, S, S), outputs ``reconstruction`` and anomaly ``logits``."""
        self._check_fitted()
        size = self.config.image_size
        return export_graph(self.model_.eval(), torch.zeros(1, 1, size, size), "x", ["reconstruction", "logits"])

    def build_model(self) -> DRAEM:
        """A fresh network of the configured size."""
        return self.config.network()

    def _fit_model(
        self, train: list[np.ndarray], val: list[np.ndarray], out_dir: Path, resume: bool, labelled: list[LabelledImage]
    ) -> None:
        cfg = self.train_config
        multiple = self.config.network().config.multiple
        if cfg.crop_size % multiple or not multiple <= cfg.crop_size <= self.config.image_size:
            raise AoikitError(
                f"crop_size must be a multiple of {multiple} no larger than image_size "
                f"({self.config.image_size}), got {cfg.crop_size}"
            )
        torch.manual_seed(cfg.seed)
        model = self.build_model()
        extra = {"detector": asdict(self.config)}
        self.history_ = train_draem(model, train, val, cfg, out_dir, resume, extra)
        best, _ = load_checkpoint(out_dir / "best")
        assert isinstance(best, DRAEM)
        self.model_ = best.eval()

    def _analyse_working(
        self, x: np.ndarray, windows: Sequence[int]
    ) -> tuple[dict[int, np.ndarray], np.ndarray, float | None]:
        batch = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))[None, None].to(self.device)
        with torch.inference_mode():
            recon, logits = self._network()(batch)
            amap = torch.sigmoid(logits)[0, 0].float().cpu().numpy()
        return dict.fromkeys(windows, amap), recon[0, 0].float().cpu().numpy(), None

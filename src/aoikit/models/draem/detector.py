"""DRAEM as a detector: images resized to a square working frame, the discriminative subnetwork's anomaly
probability as the map, the maximum of the smoothed map as the image score."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from aoikit.detector import Detector
from aoikit.errors import AoikitError
from aoikit.models import create_model, load_network
from aoikit.models.draem.loop import DRAEMTrainConfig, train_draem
from aoikit.models.draem.network import DRAEM
from aoikit.models.frame_config import FrameConfig, FrameNetwork
from aoikit.types import LabelledImage


@dataclass
class DRAEMDetectorConfig(FrameConfig):
    """See :class:`FrameConfig`; ``model_config``: the network's widths, depth and stem (:class:`DRAEMConfig`)."""

    model: str = "draem"

    def __post_init__(self) -> None:
        if self.model != "draem":
            raise AoikitError(f"the DRAEM family serves the model 'draem', got {self.model!r}")
        super().__post_init__()

    def frame_multiple(self) -> int:
        return self.network().config.multiple

    def network(self) -> DRAEM:
        """A fresh network of the configured size."""
        model = create_model("draem", **self.model_config)
        assert isinstance(model, DRAEM)
        return model


class DRAEMDetector(FrameNetwork, Detector):
    """Reconstruction + discriminative network trained on synthetic anomalies (Zavrtanik et al., ICCV 2021)."""

    family = "draem"
    model_names = ("draem",)
    onnx_outputs = ("reconstruction", "logits")
    config_cls = DRAEMDetectorConfig
    train_config_cls = DRAEMTrainConfig
    config: DRAEMDetectorConfig
    train_config: DRAEMTrainConfig
    model_: DRAEM

    @classmethod
    def tiny_config(cls) -> DRAEMDetectorConfig:
        return DRAEMDetectorConfig(
            image_size=64,
            model_config={"recon_width": 8, "disc_width": 8, "depth": 2, "stem": 2},
            score_sigma=2.0,
            match_intensity=False,
        )

    def build_model(self) -> DRAEM:
        """A fresh network of the configured size."""
        return self.config.network()

    def _fit_model(
        self, train: list[np.ndarray], val: list[np.ndarray], out_dir: Path, resume: bool, labelled: list[LabelledImage]
    ) -> None:
        cfg = self.train_config
        self._check_crop_size(cfg.crop_size)
        torch.manual_seed(cfg.seed)
        model = self.build_model()
        extra = {"detector": asdict(self.config)}
        self.history_ = train_draem(model, train, val, cfg, out_dir, resume, extra, self.on_epoch)
        best, _ = load_network(out_dir / "best")
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

"""The SSIM autoencoder as a detector: patch-wise reconstruction, 1 − SSIM residual maps."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from aoikit.data.patches import stitch, tile
from aoikit.detector import Detector
from aoikit.detector_config import DetectorConfig, MapScoreConfig
from aoikit.errors import AoikitError
from aoikit.losses.ssim import ssim_map
from aoikit.metrics import PositionStats
from aoikit.models import create_model, load_network
from aoikit.models.onnx_backend import OneNetworkBackend, export_graph
from aoikit.preprocess import foreground_mask
from aoikit.training import TrainConfig, train
from aoikit.types import LabelledImage


@dataclass
class SSIMAEDetectorConfig(MapScoreConfig):
    """How images are tiled, reconstructed and turned into maps and decisions.

    ``patch_size`` is the one patch side for the network, training and maps; ``stride`` < ``patch_size``
    overlaps tiles. ``position_norm`` (needs ``align``): score each aligned residual against good training
    images' residuals at the same position (:class:`aoikit.metrics.PositionStats`, fitted as ``position_``).
    Image scores: :class:`MapScoreConfig`.
    """

    model: str = "ssim_ae"
    image_size: int = 512
    patch_size: int = 128
    stride: int | None = None
    map_sigma: float = 0.0
    foreground_only: bool = False
    position_norm: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.position_norm and not self.align:
            raise AoikitError("position_norm needs align: true (positions only mean something in the aligned frame)")
        if self.patch_size < 16 or self.patch_size % 16:
            raise AoikitError(f"patch_size must be a positive multiple of 16, got {self.patch_size}")
        if self.image_size < self.patch_size:
            raise AoikitError(f"image_size ({self.image_size}) must be at least patch_size ({self.patch_size})")
        if self.stride is not None and not 0 < self.stride <= self.patch_size:
            raise AoikitError(f"stride must lie in [1, patch_size={self.patch_size}], got {self.stride}")
        if "patch_size" in self.model_config:
            raise AoikitError("set the patch size as detector.patch_size, not in model_config")


class SSIMAEDetector(OneNetworkBackend, Detector):
    """Reconstruction-based detector over overlapping or tiled patches (Bergmann et al. 2018)."""

    family = "ssim_ae"
    model_names = ("ssim_ae",)
    baselines = ("flat", "untrained")
    config_cls = SSIMAEDetectorConfig
    train_config_cls = TrainConfig
    config: SSIMAEDetectorConfig

    @classmethod
    def tiny_config(cls) -> SSIMAEDetectorConfig:
        return SSIMAEDetectorConfig(model_config={"latent_dim": 8}, image_size=160, patch_size=32, stride=16)

    @classmethod
    def baseline(cls, kind: str, config: DetectorConfig, seed: int) -> "SSIMAEDetector":
        """The model-free "flat" patch mean, or the network "untrained" (initialised with ``seed``)."""
        if not isinstance(config, SSIMAEDetectorConfig):
            raise AoikitError(f"baselines are patch reconstructions; model {config.model!r} compares its own")
        if kind == "flat":
            return cls.from_model(create_model("flat"), config)
        if kind == "untrained":
            torch.manual_seed(seed)
            return cls.from_model(cls(config).build_model(), config)
        raise AoikitError(f"unknown baseline '{kind}' (choose {' or '.join(cls.baselines)})")

    @property
    def working_size(self) -> int:
        return self.config.image_size

    def onnx_graph(self) -> bytes:
        """The patch network: input ``x`` (N, 1, p, p), output ``reconstruction`` of the same shape."""
        self._check_fitted()
        p = self.config.patch_size
        return export_graph(self.model_.eval(), torch.zeros(1, 1, p, p), "x", ["reconstruction"])

    def build_model(self) -> torch.nn.Module:
        """A fresh network of the configured kind and patch size."""
        cfg = self.config
        options = cfg.model_config if cfg.model == "flat" else {**cfg.model_config, "patch_size": cfg.patch_size}
        return create_model(cfg.model, **options)

    def _fit_model(
        self,
        train_set: list[np.ndarray],
        val: list[np.ndarray],
        out_dir: Path,
        resume: bool,
        labelled: list[LabelledImage],
    ) -> None:
        cfg = self.config
        model = self.build_model()
        stack = torch.from_numpy(np.stack(train_set))[:, None]
        val_patches = torch.cat([tile(torch.from_numpy(x)[None], cfg.patch_size) for x in val])
        extra = {"detector": asdict(cfg)}
        self.history_ = train(
            model, cfg.model, stack, val_patches, self.train_config, out_dir, resume, extra, self.on_epoch
        )
        self.model_, _ = load_network(out_dir / "best")

    def _fit_extra(self, train_images: Sequence[np.ndarray]) -> None:
        if self.config.position_norm:
            self.fit_position(train_images)

    def _fit_extra_if_missing(self, good_images: Sequence[np.ndarray]) -> None:
        if self.config.position_norm and not hasattr(self, "position_"):
            self.fit_position(good_images)

    def fit_position(self, good_images: Sequence[np.ndarray]) -> "SSIMAEDetector":
        """Learn good residuals per aligned position at the configured window (``position_norm``); :meth:`fit`
        uses the training images, so thresholds are then calibrated on other images."""
        window = self.config.window
        self.position_ = PositionStats.fit(
            [self._residuals(self._prepare(im)[0], [window])[0][window] for im in good_images]
        )
        return self

    @torch.no_grad()
    def _reconstruct(self, x: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """Reconstruction of a working-frame image, patch by patch."""
        cfg = self.config
        patches = tile(torch.from_numpy(x)[None], cfg.patch_size, cfg.stride)
        network = self._network()
        out = torch.cat([network(b.to(self.device)).float().cpu() for b in patches.split(batch_size)])
        return stitch(out, x.shape, cfg.patch_size, cfg.stride)[0].numpy()

    def reconstruct(self, image: np.ndarray) -> np.ndarray:
        """Reconstruction of ``image`` in its own frame and size."""
        self._check_fitted()
        x, transform = self._prepare(image)
        return self._to_image(self._reconstruct(x), transform, image, None)

    def _residuals(
        self, x: np.ndarray, windows: Sequence[int]
    ) -> tuple[dict[int, np.ndarray], np.ndarray, np.ndarray | None]:
        """1 − SSIM maps of a working-frame image per window (smoothed, part only as configured), its
        reconstruction, and the part mask when ``foreground_only``."""
        recon = self._reconstruct(x)
        xt = torch.from_numpy(x)[None, None].to(self.device)
        yt = torch.from_numpy(recon)[None, None].to(self.device)
        maps = {}
        for window in windows:
            residual = (1.0 - ssim_map(xt, yt, window))[0, 0].cpu().numpy()
            if self.config.map_sigma > 0:
                residual = cv2.GaussianBlur(residual, (0, 0), self.config.map_sigma)
            maps[window] = residual
        part = foreground_mask(x) if self.config.foreground_only else None
        return (maps if part is None else {w: m * part for w, m in maps.items()}), recon, part

    def _analyse_working(
        self, x: np.ndarray, windows: Sequence[int]
    ) -> tuple[dict[int, np.ndarray], np.ndarray, float | None]:
        maps, recon, part = self._residuals(x, windows)
        if self.config.position_norm:
            maps = {window: self._standardise(residual, window) for window, residual in maps.items()}
            if part is not None:  # off the part stays the lowest score
                maps = {window: residual * part for window, residual in maps.items()}
        return maps, recon, None

    def _standardise(self, residual: np.ndarray, window: int) -> np.ndarray:
        if not hasattr(self, "position_"):
            raise AoikitError("position_norm is on but no position statistics are fitted: call fit_position() first")
        if window != self.config.window:
            raise AoikitError(f"position statistics were fitted at window {self.config.window}, not {window}")
        return self.position_.standardise(residual)

    def _state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        if not hasattr(self, "position_"):
            return {}, {}
        arrays = {
            "position_mean_": torch.from_numpy(self.position_.mean),
            "position_std_": torch.from_numpy(self.position_.std),
        }
        return {"position_floor_": self.position_.floor}, arrays

    def _load_state(self, state: dict[str, Any], arrays: dict[str, torch.Tensor]) -> None:
        if arrays:
            mean, std = arrays["position_mean_"].numpy(), arrays["position_std_"].numpy()
            self.position_ = PositionStats(mean, std, float(state["position_floor_"]))

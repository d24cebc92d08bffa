"""Detector: learn good parts from images, map where a new image differs."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Self

import cv2
import numpy as np
import torch

from aoikit.data.image_io import resize_gray
from aoikit.data.patches import stitch, tile
from aoikit.errors import AoikitError
from aoikit.losses.ssim import ssim_map
from aoikit.metrics import area_scores, fit_quantile_threshold, image_scores_from_maps
from aoikit.models import create_model
from aoikit.preprocess import foreground_mask, intensity_reference, match_intensity
from aoikit.training import TrainConfig, load_checkpoint, save_checkpoint, train
from aoikit.types import InferenceResult

IMAGE_SCORES = ("max", "area")


@dataclass
class DetectorConfig:
    """How images are prepared, reconstructed and turned into maps and decisions.

    ``image_score``: "max" of the map smoothed with ``score_sigma``, or "area", the share of pixels above the
    ``area_quantile`` of held-out good pixels (``area_threshold_``, fitted by :meth:`Detector.calibrate`).
    """

    model: str = "ssim_ae"
    model_config: dict[str, Any] = field(default_factory=dict)
    image_size: int = 512
    patch_size: int = 128
    stride: int | None = None
    window: int = 11
    pixel_quantile: float = 0.999
    image_quantile: float = 0.99
    score_sigma: float = 4.0
    map_sigma: float = 0.0
    foreground_only: bool = False
    match_intensity: bool = False
    image_score: str = "max"
    area_quantile: float = 0.99

    def __post_init__(self) -> None:
        if self.image_score not in IMAGE_SCORES:
            raise AoikitError(f"image_score must be one of {IMAGE_SCORES}, got {self.image_score!r}")


class Detector:
    """Reconstruction-based anomaly detector; learned state ends in ``_``."""

    def __init__(self, config: DetectorConfig | None = None, train_config: TrainConfig | None = None) -> None:
        self.config = config or DetectorConfig()
        self.train_config = train_config or TrainConfig()

    def fit(
        self, train_images: Sequence[np.ndarray], val_images: Sequence[np.ndarray], out_dir: Path, resume: bool = False
    ) -> Self:
        """Train on good images, keep the best checkpoint, calibrate on held-out good images."""
        cfg = self.config
        if cfg.match_intensity:
            self.fit_intensity(train_images)
        model = create_model(cfg.model, **cfg.model_config)
        train_stack = torch.from_numpy(np.stack([self._prepare(im) for im in train_images]))[:, None]
        val_patches = torch.cat([tile(torch.from_numpy(self._prepare(im))[None], cfg.patch_size) for im in val_images])
        extra = {"detector": asdict(cfg)}
        self.history_ = train(model, cfg.model, train_stack, val_patches, self.train_config, out_dir, resume, extra)
        self.model_, _ = load_checkpoint(out_dir / "best")
        self.model_.eval()
        self.calibrate(val_images)
        self.save(out_dir / "model")
        return self

    @classmethod
    def from_model(cls, model: torch.nn.Module, config: DetectorConfig) -> "Detector":
        """Wrap an already built model (a baseline, or one trained elsewhere); call :meth:`calibrate` next."""
        detector = cls(config)
        detector.model_ = model.eval()
        return detector

    def fit_intensity(self, good_images: Sequence[np.ndarray]) -> Self:
        """Learn the grey level and contrast every image is matched to (``match_intensity``)."""
        self.intensity_ = intensity_reference(good_images)
        return self

    def calibrate(self, good_images: Sequence[np.ndarray]) -> Self:
        """Fit pixel and image thresholds on held-out good images only (and the intensity reference if unset)."""
        if self.config.match_intensity and not hasattr(self, "intensity_"):
            self.fit_intensity(good_images)
        maps = [self.anomaly_map(im)[0] for im in good_images]
        self.threshold_ = fit_quantile_threshold(maps, self.config.pixel_quantile)
        if self.config.image_score == "area":
            self.area_threshold_ = fit_quantile_threshold(maps, self.config.area_quantile)
        scores = self.image_scores(maps)
        self.image_threshold_ = float(np.quantile(scores, self.config.image_quantile))
        return self

    def image_scores(self, maps: Sequence[np.ndarray], area_threshold: float | None = None) -> np.ndarray:
        """One score per anomaly map (``config.image_score``); "area" counts pixels above ``area_threshold``,
        by default the calibrated ``area_threshold_``."""
        if self.config.image_score == "area":
            return area_scores(maps, self.area_threshold_ if area_threshold is None else area_threshold)
        return image_scores_from_maps(maps, sigma=self.config.score_sigma)

    def _prepare(self, image: np.ndarray) -> np.ndarray:
        if self.config.match_intensity:
            if not hasattr(self, "intensity_"):
                raise AoikitError("match_intensity is on but no reference is fitted: call fit_intensity() first")
            image = match_intensity(image, self.intensity_)
        size = self.config.image_size
        return image if image.shape == (size, size) else resize_gray(image, size)

    @torch.no_grad()
    def reconstruct(self, image: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """Reconstruction of ``image`` at the working size, patch by patch."""
        self._check_fitted()
        cfg = self.config
        x = torch.from_numpy(self._prepare(image))[None]
        patches = tile(x, cfg.patch_size, cfg.stride)
        out = torch.cat([self.model_(b) for b in patches.split(batch_size)])
        return stitch(out, x.shape[-2:], cfg.patch_size, cfg.stride)[0].numpy()

    def residual_map(self, image: np.ndarray, reconstruction: np.ndarray, window: int | None = None) -> np.ndarray:
        """1 − SSIM between image and reconstruction at the image's own size, optionally smoothed and
        restricted to the part (``map_sigma``, ``foreground_only``)."""
        prepared = self._prepare(image)
        x, y = torch.from_numpy(prepared)[None, None], torch.from_numpy(reconstruction)[None, None]
        residual = (1.0 - ssim_map(x, y, window or self.config.window))[0, 0].numpy()
        if self.config.map_sigma > 0:
            residual = cv2.GaussianBlur(residual, (0, 0), self.config.map_sigma)
        if self.config.foreground_only:
            residual = residual * foreground_mask(prepared)
        return residual if residual.shape == image.shape else resize_gray(residual, image.shape)

    def anomaly_map(self, image: np.ndarray, window: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Full-size residual map and the reconstruction (at the image's size)."""
        recon = self.reconstruct(image)
        full_recon = recon if recon.shape == image.shape else resize_gray(recon, image.shape)
        return self.residual_map(image, recon, window), full_recon

    def predict(self, image: np.ndarray) -> InferenceResult:
        """Score, label and segment one image with the calibrated thresholds."""
        amap, recon = self.anomaly_map(image)
        score = float(self.image_scores([amap])[0])
        return InferenceResult(
            pred_score=score,
            pred_label=int(score > self.image_threshold_),
            anomaly_map=amap,
            pred_mask=amap > self.threshold_,
            reconstruction=recon,
        )

    def save(self, directory: Path) -> None:
        """Write config.json + model.safetensors with the calibrated state."""
        self._check_fitted()
        state: dict[str, Any] = {"threshold_": self.threshold_, "image_threshold_": self.image_threshold_}
        if hasattr(self, "intensity_"):
            state["intensity_"] = list(self.intensity_)
        if hasattr(self, "area_threshold_"):
            state["area_threshold_"] = self.area_threshold_
        extra = {"detector": asdict(self.config), "train": asdict(self.train_config), "state": state}
        save_checkpoint(directory, self.config.model, self.model_, extra)

    @classmethod
    def load(cls, directory: Path) -> "Detector":
        """Rebuild a fitted detector from :meth:`save` output."""
        model, meta = load_checkpoint(directory)
        if "state" not in meta:
            raise AoikitError(f"{directory}: a training checkpoint, not a calibrated detector (use <run>/model)")
        detector = cls(DetectorConfig(**meta["detector"]), TrainConfig(**meta.get("train", {})))
        detector.model_ = model.eval()
        detector.threshold_ = float(meta["state"]["threshold_"])
        detector.image_threshold_ = float(meta["state"]["image_threshold_"])
        if "area_threshold_" in meta["state"]:
            detector.area_threshold_ = float(meta["state"]["area_threshold_"])
        if "intensity_" in meta["state"]:
            mean, std = meta["state"]["intensity_"]
            detector.intensity_ = (float(mean), float(std))
        return detector

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise AoikitError("detector is not fitted: call fit() or Detector.load()")

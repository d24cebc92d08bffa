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
from aoikit.metrics import PositionStats, area_scores, fit_quantile_threshold, image_scores_from_maps
from aoikit.models import create_model
from aoikit.preprocess import align_part, foreground_mask, intensity_reference, match_intensity, unalign
from aoikit.training import TrainConfig, load_arrays, load_checkpoint, save_checkpoint, train
from aoikit.types import InferenceResult

IMAGE_SCORES = ("max", "area")


@dataclass
class DetectorConfig:
    """How images are prepared, reconstructed and turned into maps and decisions.

    ``align``: turn every image's part to one pose (:func:`aoikit.preprocess.align_part`) before reconstruction;
    maps and reconstructions are brought back to the image's own frame.
    ``position_norm`` (needs ``align``): score each aligned residual against good training images' residuals at
    the same position: (r − mean) / (std + median std), shifted to stay ≥ 0 (:class:`aoikit.metrics.PositionStats`,
    fitted as ``position_``).
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
    align: bool = False
    position_norm: bool = False
    image_score: str = "max"
    area_quantile: float = 0.99

    def __post_init__(self) -> None:
        if self.image_score not in IMAGE_SCORES:
            raise AoikitError(f"image_score must be one of {IMAGE_SCORES}, got {self.image_score!r}")
        if self.position_norm and not self.align:
            raise AoikitError("position_norm needs align: true (positions only mean something in the aligned frame)")


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
        train_stack = torch.from_numpy(np.stack([self._prepare(im)[0] for im in train_images]))[:, None]
        val_stack = torch.from_numpy(np.stack([self._prepare(im)[0] for im in val_images]))
        val_patches = torch.cat([tile(x[None], cfg.patch_size) for x in val_stack])
        extra = {"detector": asdict(cfg)}
        self.history_ = train(model, cfg.model, train_stack, val_patches, self.train_config, out_dir, resume, extra)
        self.model_, _ = load_checkpoint(out_dir / "best")
        self.model_.eval()
        if cfg.position_norm:
            self.fit_position(train_images)
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

    def fit_position(self, good_images: Sequence[np.ndarray]) -> Self:
        """Learn good residuals per aligned position at the configured window (``position_norm``); :meth:`fit`
        uses the training images, so thresholds are then calibrated on other images."""
        window = self.config.window
        self.position_ = PositionStats.fit(
            [self._working_maps(self._prepare(im)[0], [window])[0][window] for im in good_images]
        )
        return self

    def calibrate(self, good_images: Sequence[np.ndarray]) -> Self:
        """Fit pixel and image thresholds on held-out good images only (and the intensity reference and position
        statistics if unset: then from the same images)."""
        if self.config.match_intensity and not hasattr(self, "intensity_"):
            self.fit_intensity(good_images)
        if self.config.position_norm and not hasattr(self, "position_"):
            self.fit_position(good_images)
        maps = [self.anomaly_map(im)[0] for im in good_images]
        self.threshold_, area, self.image_threshold_ = self.fit_thresholds(maps)
        if area is not None:
            self.area_threshold_ = area
        return self

    def fit_thresholds(self, good_maps: Sequence[np.ndarray]) -> tuple[float, float | None, float]:
        """Pixel threshold, area threshold (None unless the "area" image score) and image threshold: the
        configured quantiles of good images' maps and of their image scores."""
        cfg = self.config
        pixel = fit_quantile_threshold(good_maps, cfg.pixel_quantile)
        area = fit_quantile_threshold(good_maps, cfg.area_quantile) if cfg.image_score == "area" else None
        image = float(np.quantile(self.image_scores(good_maps, area), cfg.image_quantile))
        return pixel, area, image

    def image_scores(self, maps: Sequence[np.ndarray], area_threshold: float | None = None) -> np.ndarray:
        """One score per anomaly map (``config.image_score``); "area" counts pixels above ``area_threshold``,
        by default the calibrated ``area_threshold_``."""
        if self.config.image_score == "area":
            return area_scores(maps, self.area_threshold_ if area_threshold is None else area_threshold)
        return image_scores_from_maps(maps, sigma=self.config.score_sigma)

    def _prepare(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The image in the working frame (intensity matched, resized, aligned as configured) and the
        alignment transform, None when not aligning."""
        if self.config.match_intensity:
            if not hasattr(self, "intensity_"):
                raise AoikitError("match_intensity is on but no reference is fitted: call fit_intensity() first")
            image = match_intensity(image, self.intensity_)
        size = self.config.image_size
        resized = image if image.shape == (size, size) else resize_gray(image, size)
        return align_part(resized) if self.config.align else (resized, None)

    @staticmethod
    def _to_image(array: np.ndarray, matrix: np.ndarray | None, like: np.ndarray, fill: float | None) -> np.ndarray:
        """An array from the working frame back in the frame and size of the image ``like``."""
        native = array if matrix is None else unalign(array, matrix, fill)
        return native if native.shape == like.shape else resize_gray(native, (like.shape[0], like.shape[1]))

    @torch.no_grad()
    def _reconstruct(self, x: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """Reconstruction of a working-frame image, patch by patch."""
        self._check_fitted()
        cfg = self.config
        patches = tile(torch.from_numpy(x)[None], cfg.patch_size, cfg.stride)
        out = torch.cat([self.model_(b) for b in patches.split(batch_size)])
        return stitch(out, x.shape, cfg.patch_size, cfg.stride)[0].numpy()

    def reconstruct(self, image: np.ndarray) -> np.ndarray:
        """Reconstruction of ``image`` in its own frame and size."""
        x, matrix = self._prepare(image)
        return self._to_image(self._reconstruct(x), matrix, image, None)

    def _working_maps(
        self, x: np.ndarray, windows: Sequence[int]
    ) -> tuple[dict[int, np.ndarray], np.ndarray, np.ndarray | None]:
        """1 − SSIM maps of a working-frame image per window (smoothed, part only as configured), its
        reconstruction, and the part mask when ``foreground_only``."""
        recon = self._reconstruct(x)
        xt, yt = torch.from_numpy(x)[None, None], torch.from_numpy(recon)[None, None]
        maps = {}
        for window in windows:
            residual = (1.0 - ssim_map(xt, yt, window))[0, 0].numpy()
            if self.config.map_sigma > 0:
                residual = cv2.GaussianBlur(residual, (0, 0), self.config.map_sigma)
            maps[window] = residual
        part = foreground_mask(x) if self.config.foreground_only else None
        return (maps if part is None else {w: m * part for w, m in maps.items()}), recon, part

    def _standardise(self, residual: np.ndarray, window: int) -> np.ndarray:
        if not hasattr(self, "position_"):
            raise AoikitError("position_norm is on but no position statistics are fitted: call fit_position() first")
        if window != self.config.window:
            raise AoikitError(f"position statistics were fitted at window {self.config.window}, not {window}")
        return self.position_.standardise(residual)

    def residual_maps(self, image: np.ndarray, windows: Sequence[int]) -> tuple[dict[int, np.ndarray], np.ndarray]:
        """Anomaly maps of ``image`` for each SSIM window, in the image's own frame and size, and its
        reconstruction: 1 − SSIM between image and reconstruction, then smoothing, the part mask and position
        statistics as configured. With ``align``, pixels the aligned frame did not cover score 0."""
        x, matrix = self._prepare(image)
        maps, recon, part = self._working_maps(x, windows)
        if self.config.position_norm:
            maps = {window: self._standardise(residual, window) for window, residual in maps.items()}
            if part is not None:  # off the part stays the lowest score
                maps = {window: residual * part for window, residual in maps.items()}
        native = {window: self._to_image(residual, matrix, image, 0.0) for window, residual in maps.items()}
        return native, self._to_image(recon, matrix, image, None)

    def anomaly_map(self, image: np.ndarray, window: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Full-size residual map at ``window`` (default: the configured one) and the reconstruction."""
        window = window or self.config.window
        maps, recon = self.residual_maps(image, [window])
        return maps[window], recon

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
        arrays = {}
        if hasattr(self, "position_"):
            state["position_floor_"] = self.position_.floor
            arrays = {
                "position_mean_": torch.from_numpy(self.position_.mean),
                "position_std_": torch.from_numpy(self.position_.std),
            }
        extra = {"detector": asdict(self.config), "train": asdict(self.train_config), "state": state}
        save_checkpoint(directory, self.config.model, self.model_, extra, arrays=arrays)

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
        arrays = load_arrays(directory)
        if arrays:
            mean_map, std_map = arrays["position_mean_"].numpy(), arrays["position_std_"].numpy()
            detector.position_ = PositionStats(mean_map, std_map, float(meta["state"]["position_floor_"]))
        return detector

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise AoikitError("detector is not fitted: call fit() or Detector.load()")

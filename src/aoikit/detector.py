"""The one interface every model family implements, and the helpers all families share.

A family subclasses :class:`Detector` and writes three things: how it trains (``_fit_model``), how it
turns a working-frame image into anomaly maps (``_analyse_working``), and which extra state it saves.
Threshold calibration, image scores, predictions and saving are the same for every family and live here;
preparing images (:mod:`aoikit.working_frame`) and the shared settings (:mod:`aoikit.detector_config`) too.
"""

from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np
import torch
from tqdm import tqdm

from aoikit.detector_config import DetectorConfig, MapScoreConfig
from aoikit.errors import AoikitError
from aoikit.metrics import area_scores, fit_quantile_threshold, image_scores_from_maps
from aoikit.metrics.calibration import AREA_QUANTILE
from aoikit.runtime import resolve_device
from aoikit.training import load_arrays, load_checkpoint, save_checkpoint
from aoikit.types import InferenceResult, LabelledImage
from aoikit.working_frame import REFERENCES, WorkingFrame

if TYPE_CHECKING:
    from aoikit.models.protocol import Tuning

EpochHook = Callable[[torch.nn.Module, int], None]
"""Called with the network (in eval mode) and the epoch number after each training epoch is saved; may raise to
stop training."""


@dataclass
class Analysis:
    """What a detector sees in one image: anomaly maps per SSIM window (image frame and size), the
    reconstruction, and the raw image score when the family's score is not a function of the map."""

    maps: dict[int, np.ndarray]
    reconstruction: np.ndarray
    score: float | None = None


@dataclass(frozen=True)
class Thresholds:
    """Calibrated decision values: pixel (maps), area (the "area" image score only) and image."""

    pixel: float
    area: float | None
    image: float


class Detector(WorkingFrame):
    """Learn good parts from images, map where a new image differs; learned state ends in ``_``.

    Args:
        config: the family's detector configuration.
        train_config: the family's optimisation settings.
    """

    family: ClassVar[str]
    """Name of the family."""
    model_names: ClassVar[tuple[str, ...]]
    """The model names (``--model``) the family serves."""
    baselines: ClassVar[tuple[str, ...]] = ()
    """Untrained references :meth:`baseline` builds (none by default)."""
    tuning: ClassVar["Tuning | None"] = None
    """How ``aoikit tune`` searches the family (None: it does not)."""
    supervised: ClassVar[bool] = False
    """Whether the family trains on labelled defect images (``fit(..., labelled=...)``) besides good ones."""
    reconstructs: ClassVar[bool] = True
    """Whether the analysis holds a reconstruction of the image (False: it holds the image itself)."""
    config_cls: ClassVar[type[DetectorConfig]]
    train_config_cls: ClassVar[type]
    model_: torch.nn.Module
    history_: list[dict[str, float]]
    """One row per training epoch (set by :meth:`fit`)."""

    def __init__(self, config: DetectorConfig, train_config: Any = None) -> None:
        self.config = config
        self.train_config = train_config if train_config is not None else self.train_config_cls()
        self.device = torch.device("cpu")
        self.on_epoch: EpochHook | None = None

    # --- what a family writes -------------------------------------------------------------------------------
    @abstractmethod
    def _fit_model(
        self,
        train: list[np.ndarray],
        val: list[np.ndarray],
        out_dir: Path,
        resume: bool,
        labelled: list[LabelledImage],
    ) -> None:
        """Train on prepared working-frame images (``labelled``: defect images, supervised families only, else
        empty); set ``model_`` to the best weights."""

    @abstractmethod
    def _analyse_working(
        self, x: np.ndarray, windows: Sequence[int]
    ) -> tuple[dict[int, np.ndarray], np.ndarray, float | None]:
        """Maps per window, reconstruction and raw score (or None) of one working-frame image."""

    @abstractmethod
    def onnx_graph(self) -> bytes:
        """The network that inference runs, as an ONNX graph with a dynamic batch axis."""

    @abstractmethod
    def use_backend(self, backend: str, graph: bytes | None = None, threads: int | None = None) -> Self:
        """Run the network through "onnxruntime" (CPU; ``graph`` from :meth:`onnx_graph`, default: exported now,
        ``threads`` intra-op threads) or "torch"; the torch model stays for saving either way."""

    @property
    @abstractmethod
    def backend(self) -> str:
        """What runs the network now: "onnxruntime" or "torch"."""

    def _fit_extra(self, train_images: Sequence[np.ndarray]) -> None:
        """Fit family state that needs the trained model and the training images (none by default)."""

    def _fit_score_scale(self, raw_scores: np.ndarray) -> None:
        """Fit a monotone rescaling of raw image scores on good images (none by default)."""

    def _scale_scores(self, raw_scores: np.ndarray) -> np.ndarray:
        return raw_scores

    def _state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """Family state to save: JSON-able values and arrays."""
        return {}, {}

    def _load_state(self, state: dict[str, Any], arrays: dict[str, torch.Tensor]) -> None:
        """Restore what :meth:`_state` saved."""

    # --- shared ---------------------------------------------------------------------------------------------
    def fit(
        self,
        train_images: Sequence[np.ndarray],
        val_images: Sequence[np.ndarray],
        out_dir: Path,
        resume: bool = False,
        labelled: Sequence[LabelledImage] = (),
    ) -> Self:
        """Train on good images (and, for a supervised family, ``labelled`` defect images), keeping
        ``out_dir/best``; calibrate on held-out good images; save ``out_dir/model``."""
        if len(train_images) == 0 or len(val_images) == 0:
            raise AoikitError(
                f"need good images for training and validation, got {len(train_images)} and {len(val_images)}"
            )
        if self.supervised != bool(labelled):
            need = "needs labelled defect images" if self.supervised else "learns from good images only"
            raise AoikitError(f"the {self.family} family {need}; got {len(labelled)} labelled image(s)")
        self._fit_references(train_images, refit=True)
        train = [self._prepare(im)[0] for im in train_images]
        val = [self._prepare(im)[0] for im in val_images]
        self._fit_model(train, val, Path(out_dir), resume, [self._prepare_labelled(item) for item in labelled])
        self.model_.eval()
        self._fit_extra(train_images)
        self.calibrate(val_images)
        self.save(Path(out_dir) / "model")
        return self

    @classmethod
    @abstractmethod
    def tiny_config(cls) -> DetectorConfig:
        """A small configuration of the family that builds and runs in a moment (tests, examples)."""

    @classmethod
    def baseline(cls, kind: str, config: DetectorConfig, seed: int) -> "Detector":
        """An uncalibrated baseline of kind ``kind`` (one of :attr:`baselines`) for ``config``."""
        raise AoikitError(f"model {config.model!r} has no baselines; it compares its own")

    @classmethod
    def from_model(cls, model: torch.nn.Module, config: DetectorConfig) -> Self:
        """Wrap an already built network (a baseline, or one trained elsewhere); call :meth:`calibrate` next."""
        detector = cls(config)
        detector.model_ = model.eval()
        return detector

    def to(self, device: str | torch.device) -> Self:
        """Run inference on ``device`` ("auto", "cpu", "cuda", "cuda:N")."""
        self.device = device if isinstance(device, torch.device) else resolve_device(device)
        if hasattr(self, "model_"):
            self.model_.to(self.device)
        return self

    def calibrate(self, good_images: Sequence[np.ndarray]) -> Self:
        """Fit the thresholds (and score scale) on held-out good images only; the intensity and gamma references
        too if unset."""
        self._fit_references(good_images, refit=False)
        self._fit_extra_if_missing(good_images)
        analyses = self.analyse_many(good_images, desc="calibrating")
        raw = [a.score for a in analyses]
        if all(s is not None for s in raw):
            self._fit_score_scale(np.asarray(raw, dtype=np.float64))
        thresholds = self.fit_thresholds(analyses, self.config.window)
        self.threshold_, self.image_threshold_ = thresholds.pixel, thresholds.image
        if thresholds.area is not None:
            self.area_threshold_ = thresholds.area
        return self

    def _fit_extra_if_missing(self, good_images: Sequence[np.ndarray]) -> None:
        """Hook for state normally fitted on training images (then fitted on ``good_images``)."""

    def fit_thresholds(self, good: Sequence[Analysis], window: int) -> Thresholds:
        """Pixel, area and image thresholds at the configured quantiles of good images' maps and scores."""
        maps = [a.maps[window] for a in good]
        pixel = fit_quantile_threshold(maps, self.config.pixel_quantile)
        area = fit_quantile_threshold(maps, self.area_quantile) if self.image_score_kind == "area" else None
        image = float(np.quantile(self.image_scores(good, window, area), self.config.image_quantile))
        return Thresholds(pixel, area, image)

    @property
    def image_score_kind(self) -> str:
        """ "max" (smoothed map maximum), "area" (share of pixels above a good quantile) or "model" (its own)."""
        return self.config.image_score if isinstance(self.config, MapScoreConfig) else "model"

    @property
    def area_quantile(self) -> float:
        return self.config.area_quantile if isinstance(self.config, MapScoreConfig) else AREA_QUANTILE

    def image_scores(
        self, analyses: Sequence[Analysis], window: int, area_threshold: float | None = None
    ) -> np.ndarray:
        """One score per analysed image; "area" counts pixels above ``area_threshold`` (default: calibrated)."""
        kind = self.image_score_kind
        if kind == "model":
            raw = np.asarray([a.score for a in analyses], dtype=np.float64)
            return self._scale_scores(raw)
        maps = [a.maps[window] for a in analyses]
        if kind == "area":
            return area_scores(maps, self.area_threshold_ if area_threshold is None else area_threshold)
        assert isinstance(self.config, MapScoreConfig)
        return image_scores_from_maps(maps, sigma=self.config.score_sigma)

    def analyse(self, image: np.ndarray, windows: Sequence[int] | None = None) -> Analysis:
        """Anomaly maps of ``image`` per SSIM window (default: the configured one), in the image's own frame and
        size, its reconstruction and raw score. With ``align`` or ``roi``, pixels the working frame did not cover
        score 0."""
        self._check_fitted()
        x, transform = self._prepare(image)
        maps, recon, score = self._analyse_working(x, list(windows or [self.config.window]))
        native = {window: self._to_image(m, transform, image, 0.0) for window, m in maps.items()}
        return Analysis(native, self._to_image(recon, transform, image, None), score)

    def analyse_many(
        self, images: Sequence[np.ndarray], windows: Sequence[int] | None = None, desc: str = "maps"
    ) -> list[Analysis]:
        """:meth:`analyse` for every image, with a progress bar."""
        return [self.analyse(im, windows) for im in tqdm(images, desc=desc, unit="image", leave=False)]

    def anomaly_map(self, image: np.ndarray, window: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Full-size anomaly map at ``window`` (default: the configured one) and the reconstruction."""
        window = window or self.config.window
        analysis = self.analyse(image, [window])
        return analysis.maps[window], analysis.reconstruction

    def score(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Image scores with the calibrated state, one per image."""
        self._check_calibrated()
        return self.image_scores([self.analyse(im) for im in images], self.config.window)

    def predict(self, images: Sequence[np.ndarray]) -> list[InferenceResult]:
        """Score, label and segment each image with the calibrated thresholds."""
        self._check_calibrated()
        results = []
        for image in images:
            analysis = self.analyse(image)
            amap = analysis.maps[self.config.window]
            score = float(self.image_scores([analysis], self.config.window)[0])
            results.append(
                InferenceResult(
                    pred_score=score,
                    pred_label=int(score > self.image_threshold_),
                    anomaly_map=amap,
                    pred_mask=amap > self.threshold_,
                    reconstruction=analysis.reconstruction,
                )
            )
        return results

    def save(self, directory: Path) -> None:
        """Write config.json + model.safetensors with the calibrated state."""
        self._check_calibrated()
        state, arrays = self._state()
        state = {**state, "threshold_": self.threshold_, "image_threshold_": self.image_threshold_}
        state.update({name: list(getattr(self, name)) for name in REFERENCES if hasattr(self, name)})
        if hasattr(self, "area_threshold_"):
            state["area_threshold_"] = self.area_threshold_
        extra = {"detector": asdict(self.config), "train": asdict(self.train_config), "state": state}
        save_checkpoint(directory, self.network_name, self.model_, extra, arrays=arrays)

    @property
    def network_name(self) -> str:
        """Registry name of the network the checkpoint rebuilds."""
        return self.config.model

    @classmethod
    def load(cls, directory: Path) -> Self:
        """Rebuild a calibrated detector from :meth:`save` output."""
        from aoikit.models.registry import create_model  # the registry imports every family, which import this

        model, meta = load_checkpoint(directory, create_model)
        if "state" not in meta or "detector" not in meta:
            raise AoikitError(f"{directory}: a training checkpoint, not a calibrated detector (use <run>/model)")
        try:
            detector = cls(cls.config_cls(**meta["detector"]), cls.train_config_cls(**meta.get("train") or {}))
            state = meta["state"]
            detector.model_ = model.eval()
            detector.threshold_ = float(state["threshold_"])
            detector.image_threshold_ = float(state["image_threshold_"])
            if "area_threshold_" in state:
                detector.area_threshold_ = float(state["area_threshold_"])
            for name in REFERENCES:
                if name in state:
                    first, second = state[name]
                    setattr(detector, name, (float(first), float(second)))
            detector._load_state(state, load_arrays(directory))
        except (TypeError, ValueError, KeyError) as exc:
            raise AoikitError(f"{directory / 'config.json'}: invalid detector state ({exc})") from None
        return detector

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise AoikitError(f"detector is not fitted: call fit() or {type(self).__name__}.load()")

    def _check_calibrated(self) -> None:
        self._check_fitted()
        if not hasattr(self, "image_threshold_"):
            raise AoikitError("detector is not calibrated: call calibrate() on held-out good images")

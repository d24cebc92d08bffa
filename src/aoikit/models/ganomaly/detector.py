"""GANomalyDetector: learn good parts with GANomaly, score whole images, map where they differ."""

from collections.abc import Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, Self

import numpy as np
import torch
from torch import Tensor

from aoikit.data.image_io import resize_gray
from aoikit.errors import AoikitError
from aoikit.metrics import MinMaxNormalizer, fit_quantile_threshold
from aoikit.models.ganomaly.export import Generate, fast_generator
from aoikit.models.ganomaly.loop import GANTrainConfig, train_gan
from aoikit.models.ganomaly.loss import GeneratorLoss
from aoikit.models.ganomaly.network import GANomaly
from aoikit.models.ganomaly.presets import GANomalyPreset, get_preset
from aoikit.models.ganomaly.score import ScoreConfig, anomaly_score, pixel_map
from aoikit.models.ganomaly.step import GANomalyStep
from aoikit.preprocess import intensity_reference, match_intensity
from aoikit.training import load_checkpoint, save_checkpoint
from aoikit.types import InferenceResult

MODEL_FIELDS = ("ngf", "ndf", "output")
"""Overrides that change the network but not the preset (e.g. a narrower ``ngf``/``ndf``)."""
CALIBRATED = "calibrated on held-out good images"
TEST_FITTED = "test-fitted (seed protocol)"


def prepare(images: Sequence[np.ndarray], size: int) -> Tensor:
    """(N, 1, size, size) float32 batch of H×W grayscale images, resized where needed."""
    resized = [im if im.shape == (size, size) else resize_gray(im, size) for im in images]
    return torch.from_numpy(np.stack(resized).astype(np.float32, copy=False))[:, None]


def gan_scores(generate: Generate, x: Tensor, score: ScoreConfig, batch_size: int = 32) -> np.ndarray:
    """Raw GANomaly scores A = λ·R + (1 − λ)·L of a prepared batch, through any generator."""
    lam, distance, window = score.lam, score.distance, score.window_size
    with torch.inference_mode():
        parts = [anomaly_score(b, generate(b), lam, distance, window) for b in x.split(batch_size)]
    return torch.cat(parts).numpy()


def preset_train_config(preset: GANomalyPreset) -> GANTrainConfig:
    """The preset's batch size, lr and beta1; the epochs stay at GANTrainConfig's default (the study ran 200)."""
    return GANTrainConfig(batch_size=preset.batch_size, lr=preset.lr, beta1=preset.beta1)


class GANomalyDetector:
    """GANomaly on whole images resized to the preset's size; learned state ends in ``_``.

    Scores are A normalised by ``normalizer_``, the min and max of A over held-out good images: 0 to 1 on
    those, above 1 beyond them. Maps and reconstructions come back at each image's own size.

    Args:
        preset: a name from ``aoikit.models.ganomaly.presets.PRESETS``.
        train_config: optimisation settings; None takes the preset's (see :func:`preset_train_config`).
        image_quantile: quantile of the normalised good scores used as ``image_threshold_``.
        pixel_quantile: quantile of the good pixel maps used as ``threshold_``.
        fast: infer through onnxruntime or a BatchNorm-folded copy (``aoikit.models.ganomaly.export``).
        match_intensity: match every image's grey level and contrast to the training images' (``intensity_``).
        **preset_overrides: preset fields (``image_size``, ``lam``, ...) or network widths ``ngf``/``ndf``.
    """

    def __init__(
        self,
        preset: str = "ganomaly-ssim-ssim",
        train_config: GANTrainConfig | None = None,
        *,
        image_quantile: float = 0.99,
        pixel_quantile: float = 0.999,
        fast: bool = True,
        match_intensity: bool = False,
        **preset_overrides: Any,
    ) -> None:
        self.preset = preset
        self.train_config = train_config
        self.image_quantile = image_quantile
        self.pixel_quantile = pixel_quantile
        self.fast = fast
        self.match_intensity = match_intensity
        self.preset_overrides = preset_overrides
        self.resolve()  # an unknown preset or option fails here, not after training
        self._generate: Generate | None = None

    def resolve(self) -> tuple[GANomalyPreset, dict[str, Any]]:
        """The preset with its overrides applied, and the network overrides (``MODEL_FIELDS``)."""
        known = {f.name for f in fields(GANomalyPreset)}
        unknown = sorted(set(self.preset_overrides) - known - set(MODEL_FIELDS))
        if unknown:
            names = ", ".join([*sorted(known), *MODEL_FIELDS])
            raise AoikitError(f"unknown GANomaly option(s) {', '.join(unknown)}; known options: {names}")
        network = {k: v for k, v in self.preset_overrides.items() if k in MODEL_FIELDS}
        changes = {k: v for k, v in self.preset_overrides.items() if k in known}
        return get_preset(self.preset, **changes), network

    def fit(
        self, train_images: Sequence[np.ndarray], val_images: Sequence[np.ndarray], out_dir: Path, resume: bool = False
    ) -> Self:
        """Train on good images, keep ``out_dir/best``, calibrate on ``val_images``, save ``out_dir/model``."""
        preset, network = self.resolve()
        cfg = self.train_config or preset_train_config(preset)
        torch.manual_seed(cfg.seed)
        model = GANomaly(preset.model_config(**network))
        step = GANomalyStep(GeneratorLoss.from_config(preset.loss_config()), preset.score_config())
        if self.match_intensity:
            self.intensity_ = intensity_reference(train_images)
        train, val = self._inputs(train_images, preset.image_size), self._inputs(val_images, preset.image_size)
        extra = {"detector": self._params()}
        self.history_ = train_gan(model, self.preset, train, val, step, cfg, out_dir, resume, extra)
        best, _ = load_checkpoint(Path(out_dir) / "best")
        self._set_model(best, preset.score_config())
        self.calibrate(val_images)
        self.save(Path(out_dir) / "model")
        return self

    def calibrate(self, good_images: Sequence[np.ndarray]) -> Self:
        """Fit ``normalizer_``, ``image_threshold_`` and the pixel ``threshold_`` on held-out good images only."""
        raw = self.raw_scores(good_images)
        self.normalizer_ = MinMaxNormalizer().fit(raw)
        self.image_threshold_ = float(np.quantile(self.normalizer_.transform(raw), self.image_quantile))
        self.threshold_ = fit_quantile_threshold([self.anomaly_map(im)[0] for im in good_images], self.pixel_quantile)
        return self

    def raw_scores(self, images: Sequence[np.ndarray], batch_size: int = 32) -> np.ndarray:
        """Raw GANomaly scores A, one per image."""
        self._check_fitted()
        return gan_scores(self._generator(), self.prepare(images), self.score_config_, batch_size)

    def score(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """A normalised with the min and max of the held-out good images, one per image."""
        self._check_calibrated()
        return self.normalizer_.transform(self.raw_scores(images))

    def anomaly_map(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The score's per-pixel distance (1 − SSIM or |x − G(x)|) and the reconstruction, at the image's size."""
        return self._analyse(image)[1:]

    def predict(self, image: np.ndarray) -> InferenceResult:
        """Score, label and segment one image with the calibrated thresholds."""
        self._check_calibrated()
        raw, amap, recon = self._analyse(image)
        score = float(self.normalizer_.transform(np.array([raw]))[0])
        return InferenceResult(score, int(score > self.image_threshold_), amap, amap > self.threshold_, recon)

    def prepare(self, images: Sequence[np.ndarray]) -> Tensor:
        """Images as the (N, 1, S, S) batch the network takes."""
        return self._inputs(images, self.model_.config.image_size)

    def _inputs(self, images: Sequence[np.ndarray], size: int) -> Tensor:
        if self.match_intensity:
            if not hasattr(self, "intensity_"):
                raise AoikitError("match_intensity is on but no reference is fitted: call fit() first")
            images = [match_intensity(im, self.intensity_) for im in images]
        return prepare(images, size)

    def save(self, directory: Path) -> None:
        """Write config.json + model.safetensors with the preset, score config and calibrated state."""
        self._check_calibrated()
        state: dict[str, Any] = {
            "normalizer_": self.normalizer_.to_dict(),
            "image_threshold_": self.image_threshold_,
            "threshold_": self.threshold_,
        }
        if hasattr(self, "intensity_"):
            state["intensity_"] = list(self.intensity_)
        extra = {
            "detector": self._params(),
            "score": asdict(self.score_config_),
            "train": asdict(self.train_config) if self.train_config else None,
            "state": state,
        }
        save_checkpoint(directory, "ganomaly", self.model_, extra)

    @classmethod
    def load(cls, directory: Path) -> "GANomalyDetector":
        """Rebuild a calibrated detector from :meth:`save` output."""
        model, meta = load_checkpoint(directory)
        if meta["model"] != "ganomaly" or "state" not in meta:
            raise AoikitError(f"{directory}: not a calibrated GANomaly detector (use <run>/model)")
        d, state = meta["detector"], meta["state"]
        train = GANTrainConfig(**meta["train"]) if meta["train"] else None
        options = {k: d[k] for k in ("image_quantile", "pixel_quantile", "fast")}
        options["match_intensity"] = d.get("match_intensity", False)
        detector = cls(d["preset"], train, **options, **d["preset_overrides"])
        detector._set_model(model, ScoreConfig(**meta["score"]))
        detector.normalizer_ = MinMaxNormalizer.from_dict(state["normalizer_"])
        detector.image_threshold_ = float(state["image_threshold_"])
        detector.threshold_ = float(state["threshold_"])
        if "intensity_" in state:
            mean, std = state["intensity_"]
            detector.intensity_ = (float(mean), float(std))
        return detector

    def _params(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "image_quantile": self.image_quantile,
            "pixel_quantile": self.pixel_quantile,
            "fast": self.fast,
            "match_intensity": self.match_intensity,
            "preset_overrides": dict(self.preset_overrides),
        }

    def _set_model(self, model: torch.nn.Module, score: ScoreConfig) -> None:
        if not isinstance(model, GANomaly):
            raise AoikitError(f"expected a GANomaly model, got {type(model).__name__}")
        self.model_ = model.eval()
        self.score_config_ = score
        self._generate = None

    def _generator(self) -> Generate:
        if self._generate is None:
            self._generate = fast_generator(self.model_) if self.fast else self.model_.generator
        return self._generate

    def _analyse(self, image: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Raw score, map and reconstruction of one image from a single generator pass."""
        self._check_fitted()
        s, x = self.score_config_, self.prepare([image])
        with torch.inference_mode():
            out = self._generator()(x)
            raw = float(anomaly_score(x, out, s.lam, s.distance, s.window_size)[0])
            amap = pixel_map(x, out.fake, s.distance, s.window_size)[0, 0].numpy()
        recon = out.fake[0, 0].numpy()
        return raw, _native(amap, image.shape), _native(recon, image.shape)

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise AoikitError("detector is not fitted: call fit() or GANomalyDetector.load()")

    def _check_calibrated(self) -> None:
        self._check_fitted()
        if not hasattr(self, "normalizer_"):
            raise AoikitError("detector is not calibrated: call calibrate() on held-out good images")


def normalised_scores(
    detector: GANomalyDetector, images: Sequence[np.ndarray], test_minmax: bool = False
) -> tuple[np.ndarray, str]:
    """Normalised A of ``images`` and a label saying where min and max came from.

    By default the detector's calibration on held-out good images. ``test_minmax=True`` refits min and
    max on ``images`` themselves, as the seed study did over its test set; the label then says so.
    """
    if not test_minmax:
        return detector.score(images), CALIBRATED
    raw = detector.raw_scores(images)
    return MinMaxNormalizer().fit(raw).transform(raw), TEST_FITTED


def _native(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return array if array.shape == shape else resize_gray(array, (shape[0], shape[1]))

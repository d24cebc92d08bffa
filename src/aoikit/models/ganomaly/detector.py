"""GANomaly as a detector: whole images at the preset's size, score A = λ·R + (1 − λ)·L, per-pixel distance maps."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from aoikit.detector import Detector, DetectorConfig, EpochHook
from aoikit.errors import AoikitError
from aoikit.evaluation.latency import frame_latency
from aoikit.metrics import MinMaxNormalizer, image_auroc
from aoikit.models import load_network
from aoikit.models.ganomaly.export import Generate, OnnxGenerator, fast_generator, onnx_available, to_onnx
from aoikit.models.ganomaly.loop import GANTrainConfig, train_gan
from aoikit.models.ganomaly.loss import GeneratorLoss
from aoikit.models.ganomaly.network import GANomaly, GeneratorOutput
from aoikit.models.ganomaly.presets import PRESETS, GANomalyPreset, get_preset
from aoikit.models.ganomaly.score import ScoreConfig, anomaly_score, pixel_map
from aoikit.models.ganomaly.space import COARSE, FINE, detector_config
from aoikit.models.ganomaly.step import GANomalyStep
from aoikit.models.onnx_backend import ONNXRUNTIME, TORCH, check_backend
from aoikit.models.protocol import Tuning
from aoikit.types import LabelledImage

NETWORK_FIELDS = ("latent_dim", "ngf", "ndf", "output")
"""``model_config`` keys: the network's size and widths (the rest of the network follows the preset)."""
PRESET_FIELDS = ("image_size", "w_adv", "w_con", "w_enc", "contextual", "score_distance", "lam")
CALIBRATED = "calibrated on held-out good images"
TEST_FITTED = "test-fitted (seed protocol)"


@dataclass
class GANomalyDetectorConfig(DetectorConfig):
    """A preset (``model``) with optional overrides; None keeps the preset's value.

    ``window`` is the SSIM window of the contextual loss, the score and the maps. ``fast`` infers through
    onnxruntime or a BatchNorm-folded copy (:mod:`aoikit.models.ganomaly.export`).
    """

    model: str = "ganomaly-ssim-ssim"
    image_size: int | None = None
    w_adv: float | None = None
    w_con: float | None = None
    w_enc: float | None = None
    contextual: str | None = None
    score_distance: str | None = None
    lam: float | None = None
    fast: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.model not in PRESETS:
            raise AoikitError(f"unknown GANomaly preset {self.model!r}; known presets: {', '.join(sorted(PRESETS))}")
        unknown = sorted(set(self.model_config) - set(NETWORK_FIELDS))
        if unknown:
            raise AoikitError(f"unknown GANomaly model_config key(s) {', '.join(unknown)}; known: {NETWORK_FIELDS}")
        try:
            preset = self.preset()
            preset.model_config(**self.model_config)
            preset.score_config()
            preset.loss_config()
        except ValueError as exc:
            raise AoikitError(f"invalid GANomaly configuration: {exc}") from None

    def preset(self) -> GANomalyPreset:
        """The preset with this configuration's overrides applied."""
        changes = {name: getattr(self, name) for name in PRESET_FIELDS if getattr(self, name) is not None}
        return get_preset(self.model, window_size=self.window, **changes)


def _epoch_scores(detector: "GANomalyDetector", network: torch.nn.Module, images: Sequence[np.ndarray]) -> np.ndarray:
    """Raw scores A of ``images`` by ``network`` (a GANomaly in training) with ``detector``'s preparation."""
    assert isinstance(network, GANomaly)
    x = detector.prepare(images).to(next(network.parameters()).device)
    return gan_scores(network.generator, x, detector.score_config_)


class GANomalyDetector(Detector):
    """GANomaly on whole images resized to the preset's size.

    Image scores are A normalised by ``normalizer_``, the min and max of A over held-out good images: 0 to 1 on
    those, above 1 beyond them. Maps are the score's per-pixel distance (1 − SSIM or |x − G(x)|). ``on_epoch`` is
    passed to the training loop (:data:`aoikit.detector.EpochHook`).
    """

    family = "ganomaly"
    model_names = tuple(PRESETS)
    tuning = Tuning(COARSE, FINE, detector_config, _epoch_scores)
    config_cls = GANomalyDetectorConfig
    train_config_cls = GANTrainConfig
    config: GANomalyDetectorConfig
    model_: GANomaly

    def __init__(
        self, config: GANomalyDetectorConfig | None = None, train_config: Any = None, on_epoch: EpochHook | None = None
    ) -> None:
        super().__init__(config or GANomalyDetectorConfig(), train_config)
        self.on_epoch = on_epoch
        self._generate: Generate | None = None

    @classmethod
    def tiny_config(cls) -> GANomalyDetectorConfig:
        return GANomalyDetectorConfig(model_config={"latent_dim": 8, "ngf": 8, "ndf": 8}, image_size=64)

    @property
    def working_size(self) -> int:
        return self.config.preset().image_size

    @property
    def network_name(self) -> str:
        return "ganomaly"

    @property
    def score_config_(self) -> ScoreConfig:
        """How A is computed (the preset's λ, distance and window)."""
        return self.config.preset().score_config()

    def build_model(self) -> GANomaly:
        """A fresh network of the configured preset and widths."""
        return GANomaly(self.config.preset().model_config(**self.config.model_config))

    def _fit_model(
        self, train: list[np.ndarray], val: list[np.ndarray], out_dir: Path, resume: bool, labelled: list[LabelledImage]
    ) -> None:
        torch.manual_seed(self.train_config.seed)
        preset = self.config.preset()
        step = GANomalyStep(GeneratorLoss.from_config(preset.loss_config()), preset.score_config())
        extra = {"detector": asdict(self.config)}
        model = self.build_model()
        self.history_ = train_gan(
            model,
            self.config.model,
            _batch(train),
            _batch(val),
            step,
            self.train_config,
            out_dir,
            resume,
            extra,
            self.on_epoch,
        )
        best, _ = load_network(out_dir / "best")
        self._set_model(best)

    def _set_model(self, model: torch.nn.Module) -> None:
        if not isinstance(model, GANomaly):
            raise AoikitError(f"expected a GANomaly model, got {type(model).__name__}")
        self.model_ = model.eval()
        self._generate = None

    def to(self, device: str | torch.device) -> "GANomalyDetector":
        super().to(device)
        if self.device.type != "cpu":  # onnxruntime sessions and the folded copy run on the CPU only
            self._generate = None
        return self

    def onnx_graph(self) -> bytes:
        """The generator: input ``x`` (N, 1, S, S), outputs ``fake``, ``latent_i``, ``latent_o``."""
        self._check_fitted()
        return to_onnx(self.model_)

    def use_backend(self, backend: str, graph: bytes | None = None, threads: int | None = None) -> "GANomalyDetector":
        """As the base class; "torch" is the eager generator (not the BatchNorm-folded copy ``fast`` may pick)."""
        check_backend(backend, self.device)
        self._check_fitted()
        onnx = backend == ONNXRUNTIME
        self._generate = OnnxGenerator(graph or self.model_, threads) if onnx else self.model_.generator
        return self

    @property
    def backend(self) -> str:
        if self._generate is not None:
            return ONNXRUNTIME if isinstance(self._generate, OnnxGenerator) else TORCH
        fast = self.config.fast and self.device.type == "cpu" and onnx_available()
        return ONNXRUNTIME if fast else TORCH

    def _generator(self) -> Generate:
        if self._generate is None:
            fast = self.config.fast and self.device.type == "cpu"
            self._generate = fast_generator(self.model_) if fast else self.model_.generator
        return self._generate

    def prepare(self, images: Sequence[np.ndarray]) -> Tensor:
        """Images as the (N, 1, S, S) working-frame batch the network takes."""
        return _batch([self._prepare(im)[0] for im in images])

    def raw_scores(self, images: Sequence[np.ndarray], batch_size: int = 32) -> np.ndarray:
        """Raw GANomaly scores A, one per image."""
        self._check_fitted()
        return gan_scores(self._generator(), self.prepare(images).to(self.device), self.score_config_, batch_size)

    def table_row(
        self,
        name: str,
        images: Sequence[np.ndarray],
        labels: np.ndarray,
        seed: int,
        frames: int,
        scores: np.ndarray | None = None,
    ) -> dict[str, Any]:
        """Image AUROC of the preset and of its flat and untrained baselines through the same score A, its size and
        the per-frame latency (batch 1, generator + score); ``scores``: the raw scores of ``images`` when the caller
        has them already."""
        config, score = self.model_.config, self.score_config_
        x = self.prepare(images)
        torch.manual_seed(seed)
        untrained = GANomaly(config).eval().generator
        frame = [x[0, 0].numpy()]
        latency = frame_latency(lambda: self.raw_scores(frame), frames)
        return {
            "preset": name,
            "size": config.image_size,
            "ngf": config.ngf,
            "image_auroc": image_auroc(self.raw_scores(images) if scores is None else scores, labels),
            "vs_l1_l1_percent": None,
            "flat_auroc": image_auroc(gan_scores(flat_output, x, score), labels),
            "untrained_auroc": image_auroc(gan_scores(untrained, x, score), labels),
            "ms_p50": latency["p50"],
            "ms_p99": latency["p99"],
        }

    def histogram_scores(self, images: Sequence[np.ndarray], test_minmax: bool) -> tuple[np.ndarray, str]:
        """:func:`normalised_scores`."""
        return normalised_scores(self, images, test_minmax)

    def _analyse_working(
        self, x: np.ndarray, windows: Sequence[int]
    ) -> tuple[dict[int, np.ndarray], np.ndarray, float | None]:
        s = self.score_config_
        batch = torch.from_numpy(x)[None, None].to(self.device)
        with torch.inference_mode():
            out = self._generator()(batch)
            raw = float(anomaly_score(batch, out, s.lam, s.distance, s.window_size)[0])
            maps = {w: pixel_map(batch, out.fake, s.distance, w)[0, 0].float().cpu().numpy() for w in windows}
        return maps, out.fake[0, 0].float().cpu().numpy(), raw

    def _fit_score_scale(self, raw_scores: np.ndarray) -> None:
        self.normalizer_ = MinMaxNormalizer().fit(raw_scores)

    def _scale_scores(self, raw_scores: np.ndarray) -> np.ndarray:
        return self.normalizer_.transform(raw_scores) if hasattr(self, "normalizer_") else raw_scores

    def _state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        return {"normalizer_": self.normalizer_.to_dict()}, {}

    def _load_state(self, state: dict[str, Any], arrays: dict[str, torch.Tensor]) -> None:
        self._set_model(self.model_)
        self.normalizer_ = MinMaxNormalizer.from_dict(state["normalizer_"])


def flat_output(x: Tensor) -> GeneratorOutput:
    """The flat baseline as a generator: each image replaced by its mean grey, latent codes zero (L = 0)."""
    zero = x.new_zeros(len(x), 1, 1, 1)
    return GeneratorOutput(x.mean(dim=(-2, -1), keepdim=True).expand_as(x), zero, zero)


def gan_scores(generate: Generate, x: Tensor, score: ScoreConfig, batch_size: int = 32) -> np.ndarray:
    """Raw GANomaly scores A = λ·R + (1 − λ)·L of a prepared batch, through any generator."""
    lam, distance, window = score.lam, score.distance, score.window_size
    with torch.inference_mode():
        parts = [anomaly_score(b, generate(b), lam, distance, window).float().cpu() for b in x.split(batch_size)]
    return torch.cat(parts).numpy()


def normalised_scores(
    detector: GANomalyDetector, images: Sequence[np.ndarray], test_minmax: bool = False
) -> tuple[np.ndarray, str]:
    """Normalised A of ``images`` and a label saying where min and max came from.

    By default the detector's calibration on held-out good images. ``test_minmax=True`` refits min and
    max on ``images`` themselves, as the seed study did over its test set; the label then says so.
    """
    raw = detector.raw_scores(images)
    if not test_minmax:
        detector._check_calibrated()
        return detector.normalizer_.transform(raw), CALIBRATED
    return MinMaxNormalizer().fit(raw).transform(raw), TEST_FITTED


def _batch(images: Sequence[np.ndarray]) -> Tensor:
    return torch.from_numpy(np.stack(images).astype(np.float32, copy=False))[:, None]

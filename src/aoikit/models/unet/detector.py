"""The supervised family as a detector: the U-Net's probability that a pixel is any defect is the anomaly map,
and its most probable defect type names each region."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aoikit.detector import Detector
from aoikit.errors import AoikitError
from aoikit.models import load_network
from aoikit.models.frame_config import FrameConfig, FrameNetwork
from aoikit.models.unet.loop import LabelMap, SegTrainConfig, train_segmenter
from aoikit.models.unet.network import SegNet, SegNetConfig
from aoikit.types import LabelledImage

NETWORK_OPTIONS = ("width", "depth", "stem")


@dataclass
class UNetDetectorConfig(FrameConfig):
    """See :class:`FrameConfig`; ``model_config``: the network's ``width``, ``depth`` and ``stem``
    (:class:`SegNetConfig`); its classes come from the training labels."""

    model: str = "unet"
    score_sigma: float = 4.0

    def __post_init__(self) -> None:
        if self.model != "unet":
            raise AoikitError(f"the supervised family serves the model 'unet', got {self.model!r}")
        if self.align or self.roi != "none":
            raise AoikitError(
                "align and roi are not available for the supervised family (its masks would need moving too)"
            )
        unknown = sorted(set(self.model_config) - set(NETWORK_OPTIONS))
        if unknown:
            known = ", ".join(NETWORK_OPTIONS)
            raise AoikitError(f"unknown model_config option(s) {', '.join(unknown)}; known: {known}")
        super().__post_init__()

    def frame_multiple(self) -> int:
        return self.network_config().multiple

    def network_config(self, classes: int = 2) -> SegNetConfig:
        """The network's configuration for ``classes`` classes (background included)."""
        try:
            return SegNetConfig(**self.model_config, classes=classes)
        except ValueError as exc:
            raise AoikitError(f"model_config: {exc}") from None


class UNetDetector(FrameNetwork, Detector):
    """A U-Net trained from scratch on good images and labelled defect images (masks, with a type per image)."""

    family = "unet"
    model_names = ("unet",)
    reconstructs = False
    onnx_outputs = ("logits",)
    supervised = True
    config_cls = UNetDetectorConfig
    train_config_cls = SegTrainConfig
    config: UNetDetectorConfig
    train_config: SegTrainConfig
    model_: SegNet
    classes_: Sequence[str] = ("defect",)
    """Defect types, in the order of the network's classes 1, 2, … (one "defect" before training)."""

    @classmethod
    def tiny_config(cls) -> UNetDetectorConfig:
        return UNetDetectorConfig(
            image_size=64, model_config={"width": 8, "depth": 2, "stem": 2}, score_sigma=2.0, match_intensity=False
        )

    def build_model(self) -> SegNet:
        """A fresh network for the current ``classes_``."""
        return SegNet(self.config.network_config(len(self.classes_) + 1))

    def _fit_model(
        self,
        train: list[np.ndarray],
        val: list[np.ndarray],
        out_dir: Path,
        resume: bool,
        labelled: list[LabelledImage],
    ) -> None:
        cfg = self.train_config
        self._check_crop_size(cfg.crop_size)
        self.classes_ = sorted({item.defect_type for item in labelled})
        index = {name: k + 1 for k, name in enumerate(self.classes_)}
        defects = [LabelMap(item.image, item.mask.astype(np.int64) * index[item.defect_type]) for item in labelled]
        order = np.random.default_rng(cfg.seed).permutation(len(defects))
        held = max(1, round(cfg.val_fraction * len(defects))) if len(defects) > 1 else 0  # one is kept to train
        train_set = [LabelMap(im, np.zeros(im.shape, np.int64)) for im in train] + [defects[i] for i in order[held:]]
        val_set = [LabelMap(im, np.zeros(im.shape, np.int64)) for im in val] + [defects[i] for i in order[:held]]
        torch.manual_seed(cfg.seed)
        model = self.build_model()
        extra = {"detector": asdict(self.config), "classes": list(self.classes_)}
        self.history_ = train_segmenter(model, train_set, val_set, cfg, out_dir, resume, extra, self.on_epoch)
        best, _ = load_network(out_dir / "best")
        assert isinstance(best, SegNet)
        self.model_ = best.eval()

    def _probabilities(self, x: np.ndarray) -> np.ndarray:
        """(classes, S, S) class probabilities of a working-frame image."""
        batch = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))[None, None].to(self.device)
        with torch.inference_mode():
            logits = self._network()(batch)
            return torch.softmax(logits.float(), dim=1)[0].cpu().numpy()

    def _analyse_working(
        self, x: np.ndarray, windows: Sequence[int]
    ) -> tuple[dict[int, np.ndarray], np.ndarray, float | None]:
        amap = 1.0 - self._probabilities(x)[0]
        return dict.fromkeys(windows, amap), x, None

    def class_probabilities(self, image: np.ndarray) -> np.ndarray:
        """(classes, H, W): each class's probability at each pixel of ``image`` (class 0: background)."""
        self._check_fitted()
        x, _ = self._prepare(image)
        return np.stack([self._to_image(p, None, image, None) for p in self._probabilities(x)])

    def defect_types(self, image: np.ndarray, masks: Sequence[np.ndarray]) -> list[str]:
        """The most probable defect type inside each region (bool masks of the image's size)."""
        probs = self.class_probabilities(image)[1:]
        names = []
        for mask in masks:
            if mask.shape != image.shape or not mask.any():
                raise AoikitError(f"a region mask must be a non-empty bool array of shape {image.shape}")
            names.append(self.type_in(probs[:, mask]))
        return names

    def type_in(self, type_probs: np.ndarray) -> str:
        """The defect type with the highest mean probability over the pixels of ``type_probs`` (types × pixels)."""
        return self.classes_[int(np.argmax(type_probs.mean(axis=1)))]

    def _state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        return {"classes_": list(self.classes_)}, {}

    def _load_state(self, state: dict[str, Any], arrays: dict[str, torch.Tensor]) -> None:
        self.classes_ = [str(name) for name in state["classes_"]]

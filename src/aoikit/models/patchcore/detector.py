"""PatchCore as a detector: frozen ImageNet features of good images, a greedy coreset of them as the memory bank,
and each patch's distance to its nearest bank feature as the anomaly map. Nothing is trained."""

import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Self

import cv2
import numpy as np
import torch
from torch import Tensor, nn
from tqdm import tqdm

from aoikit.detector import Detector
from aoikit.errors import AoikitError
from aoikit.models.onnx_backend import ONNXRUNTIME, TORCH, OnnxModule, check_backend, export_graph
from aoikit.models.patchcore.backbone import EfficientNetLiteConfig
from aoikit.models.patchcore.config import PatchCoreConfig, PatchCoreFitConfig
from aoikit.models.patchcore.features import PatchFeatures
from aoikit.models.patchcore.memory import (
    as_bank,
    check_memory,
    coreset_size,
    greedy_coreset,
    nearest_distances,
    stack_features,
)
from aoikit.models.patchcore.weights import pretrained
from aoikit.runtime import resolve_device
from aoikit.types import LabelledImage


class BankDistance(nn.Module):
    """Features of (N, 1, H, W) images and each feature's distance to its nearest bank row: (N, 1, h, w)."""

    bank: Tensor
    bank_sq: Tensor

    def __init__(self, features: PatchFeatures, bank: Tensor) -> None:
        super().__init__()
        self.features = features
        self.register_buffer("bank", bank)
        self.register_buffer("bank_sq", (bank * bank).sum(1))

    def forward(self, x: Tensor) -> Tensor:
        f = self.features(x)
        n, c, h, w = f.shape
        queries = f.permute(0, 2, 3, 1).reshape(-1, c)
        return nearest_distances(queries, self.bank, self.bank_sq).reshape(n, 1, h, w)


class PatchCoreDetector(Detector):
    """PatchCore (Roth et al., CVPR 2022) on EfficientNet-Lite0 features, for any surface without training."""

    family = "patchcore"
    model_names = ("patchcore",)
    reconstructs = False
    config_cls = PatchCoreConfig
    train_config_cls = PatchCoreFitConfig
    config: PatchCoreConfig
    train_config: PatchCoreFitConfig
    model_: PatchFeatures
    bank_: Tensor
    _onnx: OnnxModule | None = None

    @classmethod
    def tiny_config(cls) -> PatchCoreConfig:
        return PatchCoreConfig(image_size=64, max_candidates=2048)

    @property
    def working_size(self) -> int:
        return self.config.image_size

    def working_shape(self, shape: tuple[int, int]) -> tuple[int, int]:
        return self.config.frame_shape(shape)

    # --- fitting ----------------------------------------------------------------------------------------------
    def _fit_model(
        self, train: list[np.ndarray], val: list[np.ndarray], out_dir: Path, resume: bool, labelled: list[LabelledImage]
    ) -> None:
        start, cfg = time.perf_counter(), self.config
        self.device = resolve_device(self.train_config.device)
        model = self._pretrained().to(self.device)
        stride = cfg.features().stride
        count = sum((im.shape[0] // stride) * (im.shape[1] // stride) for im in train)
        check_memory(count, cfg.features().channels, "good patch features")
        features = stack_features(self._extract(model, train, "features"))
        generator = torch.Generator().manual_seed(self.train_config.seed)
        if len(features) > cfg.max_candidates:
            features = features[torch.randperm(len(features), generator=generator)[: cfg.max_candidates]]
        size = coreset_size(len(features), cfg.coreset_fraction, cfg.max_bank)
        chosen = greedy_coreset(features, size, cfg.projection_dim, self.train_config.seed)
        self.model_, self.bank_ = model.eval(), features[chosen].contiguous()
        self.fit_ = {"patches": count, "candidates": len(features), "bank": size,
                     "seconds": round(time.perf_counter() - start, 2)}  # fmt: skip
        self._distance = BankDistance(self.model_, self.bank_).to(self.device)

    def _pretrained(self) -> PatchFeatures:
        """The feature network with the packaged ImageNet weights; records their source."""
        features = self.config.features()
        backbone, source = pretrained(EfficientNetLiteConfig(blocks=features.layers[-1] + 1, head=False))
        model = PatchFeatures(features)
        model.backbone.load_state_dict(backbone.state_dict())
        self.weights_ = asdict(source)
        return model.eval()

    def _extract(self, model: PatchFeatures, images: Sequence[np.ndarray], desc: str) -> list[Tensor]:
        """Feature maps of working-frame images, batched by shape, on the CPU."""
        batch, out = self.train_config.batch_size, []
        by_shape: dict[tuple[int, ...], list[np.ndarray]] = {}
        for image in images:
            by_shape.setdefault(image.shape, []).append(image)
        with torch.inference_mode(), tqdm(total=len(images), desc=desc, unit="image", leave=False) as bar:
            for group in by_shape.values():
                for i in range(0, len(group), batch):
                    x = torch.from_numpy(np.stack(group[i : i + batch]).astype(np.float32))[:, None]
                    out.append(model(x.to(self.device)).float().cpu())
                    bar.update(len(group[i : i + batch]))
        return out

    # --- inference --------------------------------------------------------------------------------------------
    def _analyse_working(
        self, x: np.ndarray, windows: Sequence[int]
    ) -> tuple[dict[int, np.ndarray], np.ndarray, float | None]:
        batch = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))[None, None]
        with torch.inference_mode():
            network = self._onnx if self._onnx is not None else self._distance
            distance = network(batch.to(self.device if self._onnx is None else "cpu"))
        assert isinstance(distance, Tensor)
        amap = cv2.resize(
            distance[0, 0].float().cpu().numpy(), (x.shape[1], x.shape[0]), interpolation=cv2.INTER_LINEAR
        )
        if self.config.map_sigma > 0:
            amap = cv2.GaussianBlur(amap, (0, 0), self.config.map_sigma, borderType=cv2.BORDER_REFLECT)
        return dict.fromkeys(windows, amap), x, None

    def onnx_graph(self) -> bytes:
        """Features and nearest-bank distances as one ONNX graph, batch, height and width dynamic."""
        self._check_fitted()
        example = torch.zeros(1, 1, self.config.image_size, self.config.image_size)
        return export_graph(self._distance.eval(), example, "x", ["distance"], spatial=True)

    def to(self, device: str | torch.device) -> Self:
        """Run inference on ``device``; the bank moves with the network."""
        super().to(device)
        if hasattr(self, "_distance"):
            self._distance.to(self.device)
        return self

    def use_backend(self, backend: str, graph: bytes | None = None, threads: int | None = None) -> Self:
        check_backend(backend, self.device)
        self._onnx = OnnxModule(graph or self.onnx_graph(), threads) if backend == ONNXRUNTIME else None
        return self

    @property
    def backend(self) -> str:
        return ONNXRUNTIME if self._onnx is not None else TORCH

    # --- state ------------------------------------------------------------------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        return {"weights": self.weights_, "fit": getattr(self, "fit_", {})}, {"bank": self.bank_}

    def _load_state(self, state: dict[str, Any], arrays: dict[str, Tensor]) -> None:
        if "bank" not in arrays:
            raise AoikitError("no memory bank saved with this PatchCore model")
        self.bank_ = as_bank(arrays["bank"])
        self.weights_ = dict(state.get("weights") or {})
        self.fit_ = dict(state.get("fit") or {})
        self._distance = BankDistance(self.model_, self.bank_)

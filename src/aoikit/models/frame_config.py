"""What the families that map a whole square working frame at once (DRAEM, the U-Net) share: their settings, their
working size and their ONNX graph."""

from dataclasses import dataclass
from typing import ClassVar

import torch

from aoikit.detector_config import MapScoreConfig
from aoikit.errors import AoikitError
from aoikit.models.onnx_backend import OneNetworkBackend, export_graph


@dataclass
class FrameConfig(MapScoreConfig):
    """``image_size``: side of the square working frame, a multiple of :meth:`frame_multiple`; image scores:
    :class:`MapScoreConfig`. ``window`` does not change these maps; every window gets the same map. Intensity
    matching is on by default."""

    match_intensity: bool = True
    image_size: int = 256
    score_sigma: float = 8.0

    def __post_init__(self) -> None:
        super().__post_init__()
        multiple = self.frame_multiple()
        if self.image_size < multiple or self.image_size % multiple:
            raise AoikitError(f"image_size must be a positive multiple of {multiple}, got {self.image_size}")

    def frame_multiple(self) -> int:
        """The network's input sides must be multiples of this."""
        raise NotImplementedError


class FrameNetwork(OneNetworkBackend):
    """Working size and ONNX graph of a detector whose network takes the whole working frame: input ``x``
    (N, 1, S, S), outputs named ``onnx_outputs``. Mix in before :class:`aoikit.detector.Detector`."""

    onnx_outputs: ClassVar[tuple[str, ...]]
    config: FrameConfig

    @property
    def working_size(self) -> int:
        return self.config.image_size

    def _check_crop_size(self, crop_size: int) -> None:
        """Refuse training crops the network cannot take or the working frame cannot give."""
        multiple, size = self.config.frame_multiple(), self.config.image_size
        if crop_size % multiple or not multiple <= crop_size <= size:
            raise AoikitError(
                f"crop_size must be a multiple of {multiple} no larger than image_size ({size}), got {crop_size}"
            )

    def onnx_graph(self) -> bytes:
        """The network as an ONNX graph with a dynamic batch axis."""
        self._check_fitted()  # type: ignore[attr-defined]
        size = self.config.image_size
        return export_graph(self.model_.eval(), torch.zeros(1, 1, size, size), "x", list(self.onnx_outputs))

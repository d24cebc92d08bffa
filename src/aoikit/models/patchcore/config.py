"""PatchCore's settings: the working frame, the features, the memory bank and the map."""

from dataclasses import dataclass, field

from aoikit.detector_config import MapScoreConfig
from aoikit.errors import AoikitError
from aoikit.models.patchcore.features import DEFAULT_LAYERS, PatchFeaturesConfig
from aoikit.runtime import RuntimeOptions

MAX_ASPECT = 8.0
"""Longest working frame side relative to the short one (longer parts are squeezed to this)."""


@dataclass
class PatchCoreConfig(MapScoreConfig):
    """``image_size``: the working frame's short side; the long side keeps the image's aspect ratio (up to
    :data:`MAX_ASPECT`), both rounded to multiples of the deepest layer's stride. ``layers``, ``aggregate`` and ``pad``:
    :class:`PatchFeaturesConfig`. ``max_candidates``: good patch features the coreset is chosen from (a seeded
    random subset when there are more); ``coreset_fraction`` of them are kept, at most ``max_bank``;
    ``projection_dim``: dimensions of the random projection the greedy selection runs on. ``map_sigma``: Gaussian
    smoothing of the distance map, in working-frame pixels. ``window`` does not change these maps."""

    model: str = "patchcore"
    match_intensity: bool = True
    image_size: int = 256
    layers: list[int] = field(default_factory=lambda: list(DEFAULT_LAYERS))
    aggregate: int = 3
    pad: int = 32
    max_candidates: int = 65536
    coreset_fraction: float = 0.1
    max_bank: int = 16384
    projection_dim: int = 64
    map_sigma: float = 4.0

    def __post_init__(self) -> None:
        if self.model != "patchcore":
            raise AoikitError(f"the PatchCore family serves the model 'patchcore', got {self.model!r}")
        super().__post_init__()
        try:
            features = self.features()
        except ValueError as exc:
            raise AoikitError(str(exc)) from None
        if self.image_size < features.multiple or self.image_size % features.multiple:
            raise AoikitError(f"image_size must be a positive multiple of {features.multiple}, got {self.image_size}")
        if self.pad >= self.image_size:
            raise AoikitError(f"pad must be smaller than image_size ({self.image_size}), got {self.pad}")
        if not 0.0 < self.coreset_fraction <= 1.0:
            raise AoikitError(f"coreset_fraction must lie in (0, 1], got {self.coreset_fraction}")
        for name in ("max_candidates", "max_bank", "projection_dim"):
            if getattr(self, name) < 1:
                raise AoikitError(f"{name} must be positive, got {getattr(self, name)}")
        if self.map_sigma < 0:
            raise AoikitError(f"map_sigma must be ≥ 0, got {self.map_sigma}")

    def features(self) -> PatchFeaturesConfig:
        """The feature network's configuration."""
        return PatchFeaturesConfig(layers=list(self.layers), aggregate=self.aggregate, pad=self.pad)

    def frame_shape(self, shape: tuple[int, int]) -> tuple[int, int]:
        """The working frame for an image of ``shape``: short side ``image_size``, aspect ratio kept."""
        h, w = shape
        multiple, short = self.features().multiple, self.image_size
        ratio = min(max(h, w) / max(1, min(h, w)), MAX_ASPECT)
        long = max(multiple, round(short * ratio / multiple) * multiple)
        return (short, long) if h <= w else (long, short)


@dataclass
class PatchCoreFitConfig(RuntimeOptions):
    """Fitting settings: ``batch_size`` images through the backbone at once; ``seed`` draws the candidates and the
    projection; ``threads``, ``device`` as for every family (``amp`` is not used: features stay float32)."""

    batch_size: int = 8

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.batch_size < 1:
            raise AoikitError(f"batch_size must be positive, got {self.batch_size}")

"""Known kinds from labelled frames: the detector's regions on each frame, named by the frame's defect type.

A region that touches the frame's ground-truth mask takes the frame's defect type; any other region (every region
of a good frame, a stray one on a defective frame) is of the kind "good": the detector's false alarms are a kind
the service knows too. The regions are the ones the service will see (the detector's own, at its calibrated
threshold), so known and streamed descriptors come from the same process.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from aoikit.data.dataset import Sample
from aoikit.data.image_io import read_gray, read_mask
from aoikit.detector import Detector
from aoikit.labels.regions import Region, RegionConfig, extract_regions
from aoikit.service.descriptors import FEATURES, describe_regions
from aoikit.service.novelty import KnownKinds

GOOD = "good"


@dataclass
class FrameRegions:
    """The detector's regions on one labelled frame and what they are.

    Attributes:
        frame: the frame's id (its path).
        frame_kind: the frame's defect type ("good" for a good frame).
        descriptors: one row per region, (n, len(FEATURES)).
        kinds: each region's kind: ``frame_kind`` where it touches the ground truth, else "good".
        boxes: each region's box.
    """

    frame: str
    frame_kind: str
    descriptors: np.ndarray
    kinds: list[str]
    boxes: list[tuple[int, int, int, int]]


def frame_regions(detector: Detector, sample: Sample, min_area: int = 16) -> FrameRegions:
    """Describe and name the detector's regions on one labelled frame."""
    image = read_gray(sample.path)
    analysis = detector.analyse(image)
    amap = analysis.maps[detector.config.window]
    truth = read_mask(sample.mask_path, image.shape) if sample.mask_path is not None else None
    frame_kind = sample.defect_type if sample.label else GOOD
    config = RegionConfig(threshold=detector.threshold_, min_area=min_area)
    return name_regions(str(sample.path), frame_kind, image, amap, analysis.reconstruction, truth, config)


def name_regions(
    frame: str,
    frame_kind: str,
    image: np.ndarray,
    anomaly_map: np.ndarray,
    reconstruction: np.ndarray,
    truth: np.ndarray | None,
    config: RegionConfig,
) -> FrameRegions:
    """The regions of one frame's map, described and named by the ground-truth mask ``truth`` (None: none)."""
    regions = extract_regions(anomaly_map, config)
    kinds = [frame_kind if truth is not None and _touches(region, truth) else GOOD for region in regions]
    descriptors = describe_regions(image, anomaly_map, reconstruction, regions)
    return FrameRegions(frame, frame_kind, descriptors, kinds, [r.box for r in regions])


def _touches(region: Region, truth: np.ndarray) -> bool:
    x0, y0, x1, y1 = region.box
    return bool((truth[y0:y1, x0:x1] & region.mask).any())


def describe_frames(detector: Detector, samples: Sequence[Sample], min_area: int = 16) -> list[FrameRegions]:
    """:func:`frame_regions` for every sample, with a progress bar."""
    return [frame_regions(detector, s, min_area) for s in tqdm(samples, desc="describing regions", leave=False)]


def fit_known_kinds(
    frames: Sequence[FrameRegions],
    k: int = 3,
    far_rate: float = 0.01,
    per_kind: bool = False,
    model_version: str | None = None,
) -> KnownKinds:
    """Known kinds from described labelled frames (all their regions, each under its own kind), recorded as of the
    model ``model_version``."""
    rows = [f.descriptors for f in frames if len(f.descriptors)]
    descriptors = np.concatenate(rows) if rows else np.zeros((0, len(FEATURES)))
    kinds = [kind for f in frames for kind in f.kinds]
    groups = [f.frame for f in frames for _ in f.kinds]
    return KnownKinds(k, far_rate, per_kind, model_version).fit(descriptors, kinds, groups)

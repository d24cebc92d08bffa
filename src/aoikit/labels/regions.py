"""Anomaly map → cleaned mask → regions with box, outline, pixel mask and scores."""

from dataclasses import dataclass

import cv2
import numpy as np

from aoikit.errors import AoikitError
from aoikit.labels.geometry import Box, Polygon, mask_box, polygon_box, rasterize, trace_outlines


@dataclass(frozen=True, eq=False)
class Region:
    """One labelled area of an image, in pixel-edge coordinates (pixel ``(x, y)`` spans ``[x, x+1)``).

    Attributes:
        box: ``(x0, y0, x1, y1)``; x1 and y1 are exclusive, so the width is ``x1 - x0``.
        polygon: outer outline ``[(x, y), ...]`` along pixel edges, counter-clockwise as seen on screen.
        holes: outlines of the holes inside ``polygon``.
        mask: bool array of the box's size; ``mask[r, c]`` is pixel ``(x0 + c, y0 + r)``.
        score_max: highest anomaly score inside the region (NaN when read from a file without scores).
        score_mean: mean anomaly score inside the region (NaN when unknown).
        class_name: the label written to files; the caller maps defect types to names.
    """

    box: Box
    polygon: Polygon
    holes: list[Polygon]
    mask: np.ndarray
    score_max: float
    score_mean: float
    class_name: str = "anomaly"

    @property
    def area(self) -> int:
        """Number of pixels in the region."""
        return int(self.mask.sum())

    def paste(self, height: int, width: int) -> np.ndarray:
        """The region's mask placed in an empty ``height × width`` image."""
        full = np.zeros((height, width), dtype=bool)
        x0, y0, x1, y1 = self.box
        full[y0:y1, x0:x1] = self.mask
        return full

    @classmethod
    def from_polygon(
        cls,
        polygon: Polygon,
        holes: list[Polygon],
        size: tuple[int, int],
        class_name: str,
        score: float = float("nan"),
    ) -> "Region":
        """Region filled from an outline (pixel-edge coordinates) in an image of ``size`` (width, height)."""
        width, height = size
        box = polygon_box(polygon, height, width)
        x0, y0, x1, y1 = box
        shift = [[(x - x0, y - y0) for x, y in ring] for ring in [polygon, *holes]]
        mask = rasterize(shift[0], shift[1:], y1 - y0, x1 - x0)
        return cls(box, polygon, holes, mask, score, float("nan"), class_name)

    @classmethod
    def from_box(cls, box: Box, size: tuple[int, int], class_name: str, score: float = float("nan")) -> "Region":
        """Region filling a whole box (formats that store boxes only)."""
        x0, y0, x1, y1 = box
        return cls.from_polygon([(x0, y0), (x0, y1), (x1, y1), (x1, y0)], [], size, class_name, score)

    @classmethod
    def from_mask(cls, mask: np.ndarray, class_name: str, score: float = float("nan")) -> "Region":
        """Region from a full-size pixel mask; with several parts the outline is the largest one's.

        Raises:
            AoikitError: the mask is empty.
        """
        if not mask.any():
            raise AoikitError("a region mask has no pixels")
        x0, y0, x1, y1 = mask_box(mask)
        return _from_crop(mask[y0:y1, x0:x1], x0, y0, class_name, score, float("nan"))


@dataclass
class RegionConfig:
    """How a map becomes regions.

    Attributes:
        threshold: a pixel is anomalous above it; the CLI passes the detector's calibrated ``threshold_``.
        open_radius: radius of the disc that opens the mask (removes specks and thin bridges); 0 skips.
        close_radius: radius of the disc that then closes it (fills pinholes and small gaps); 0 skips.
        min_area: parts with fewer pixels are dropped.
    """

    threshold: float
    open_radius: int = 1
    close_radius: int = 2
    min_area: int = 16

    def __post_init__(self) -> None:
        if self.min_area < 1:
            raise AoikitError(f"min_area must be at least 1 pixel, got {self.min_area}")
        if min(self.open_radius, self.close_radius) < 0:
            raise AoikitError(f"open_radius and close_radius must be ≥ 0, got {self.open_radius}, {self.close_radius}")


def map_to_mask(anomaly_map: np.ndarray, threshold: float) -> np.ndarray:
    """Bool mask of the pixels scoring strictly above ``threshold`` (as ``Detector.predict``)."""
    return np.asarray(anomaly_map) > threshold


def clean_mask(mask: np.ndarray, open_radius: int = 1, close_radius: int = 2, min_area: int = 16) -> np.ndarray:
    """Open, then close with discs of the given radii, then drop 8-connected parts under ``min_area`` pixels."""
    out: np.ndarray = mask.astype(np.uint8)
    for op, radius in ((cv2.MORPH_OPEN, open_radius), (cv2.MORPH_CLOSE, close_radius)):
        if radius > 0:
            disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
            out = cv2.morphologyEx(out, op, disc)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(out, connectivity=8)
    keep = np.zeros(n, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return keep[labels]


def extract_regions(anomaly_map: np.ndarray, config: RegionConfig, class_name: str = "anomaly") -> list[Region]:
    """Regions of the cleaned thresholded map, highest ``score_max`` first.

    Args:
        anomaly_map: H×W scores, higher is more anomalous.
        config: threshold and clean-up settings.
        class_name: label given to every region (e.g. the defect type a folder stands for).
    """
    raw = map_to_mask(anomaly_map, config.threshold)
    mask = clean_mask(raw, config.open_radius, config.close_radius, config.min_area)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    regions = []
    for k in range(1, n):
        x, y, w, h = (int(v) for v in stats[k, :4])
        crop = labels[y : y + h, x : x + w] == k
        scores = anomaly_map[y : y + h, x : x + w][crop]
        regions.append(_from_crop(crop, x, y, class_name, float(scores.max()), float(scores.mean())))
    return sorted(regions, key=lambda r: -r.score_max)


def _from_crop(crop: np.ndarray, x0: int, y0: int, class_name: str, score_max: float, score_mean: float) -> Region:
    """Region from a tight crop whose top-left pixel is ``(x0, y0)``."""
    outlines = trace_outlines(crop)
    outer, holes = max(outlines, key=lambda o: cv2.contourArea(np.asarray(o[0], dtype=np.float32)))
    polygon = [(x + x0, y + y0) for x, y in outer]
    shifted = [[(x + x0, y + y0) for x, y in hole] for hole in holes]
    box = (x0, y0, x0 + crop.shape[1], y0 + crop.shape[0])
    return Region(box, polygon, shifted, crop.copy(), score_max, score_mean, class_name)

"""A fixed-length description of one anomalous region: its size and shape, its map scores, and how its grey
levels differ from its surroundings and from the reconstruction. Family-agnostic: it reads only the image, the
detector's map and reconstruction (both in the image's frame) and the region.

Every value is free of the image's global grey level and contrast (intensities are measured against a ring
around the region, in units of the image's own standard deviation), and of the part's angle (shape from second
moments and the convex hull), so a kind of defect looks alike under other lighting or poses.
"""

from collections.abc import Sequence

import cv2
import numpy as np

from aoikit.labels.regions import Region

FEATURES = (
    "log_area",
    "log_major",
    "log_minor",
    "solidity",
    "log_score_max",
    "log_score_mean",
    "contrast",
    "contrast_vs_reconstruction",
    "texture",
    "edge_ratio",
)
"""Names of the descriptor's entries, in order."""
RING = 5
"""Width in pixels of the ring around a region that stands for its surroundings."""
_EPS = 1e-6


def describe_region(
    image: np.ndarray, anomaly_map: np.ndarray, reconstruction: np.ndarray, region: Region
) -> np.ndarray:
    """The descriptor of ``region`` (entries named by :data:`FEATURES`), float64."""
    h, w = image.shape
    x0, y0, x1, y1 = region.box
    bx0, by0, bx1, by1 = max(0, x0 - RING), max(0, y0 - RING), min(w, x1 + RING), min(h, y1 + RING)
    inside = np.zeros((by1 - by0, bx1 - bx0), dtype=bool)
    inside[y0 - by0 : y1 - by0, x0 - bx0 : x1 - bx0] = region.mask
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * RING + 1, 2 * RING + 1))
    ring = cv2.dilate(inside.astype(np.uint8), disc).astype(bool) & ~inside
    if not ring.any():  # the region covers its whole neighbourhood: compare with the image as a whole
        ring = ~inside if (~inside).any() else inside
    crop = np.s_[by0:by1, bx0:bx1]
    img, rec = image[crop].astype(np.float64), reconstruction[crop].astype(np.float64)
    scale_img = float(image.std()) + _EPS
    scale_rec = float(reconstruction.std()) + _EPS
    contrast = (img[inside].mean() - img[ring].mean()) / scale_img
    contrast_rec = (rec[inside].mean() - rec[ring].mean()) / scale_rec
    gy, gx = np.gradient(img)
    grad = np.hypot(gx, gy)
    scores = np.maximum(anomaly_map[y0:y1, x0:x1][region.mask].astype(np.float64), 0.0)
    major, minor = _axes(region.mask)
    return np.array(
        [
            np.log(region.area),
            np.log(major),
            np.log(minor),
            _solidity(region.mask),
            np.log1p(scores.max()),
            np.log1p(scores.mean()),
            contrast,
            contrast - contrast_rec,
            img[inside].std() / scale_img,
            np.log((grad[inside].mean() + _EPS) / (grad[ring].mean() + _EPS)),
        ],
        dtype=np.float64,
    )


def describe_regions(
    image: np.ndarray, anomaly_map: np.ndarray, reconstruction: np.ndarray, regions: Sequence[Region]
) -> np.ndarray:
    """Descriptors of several regions of one image, shape (len(regions), len(FEATURES))."""
    rows = [describe_region(image, anomaly_map, reconstruction, region) for region in regions]
    return np.stack(rows) if rows else np.zeros((0, len(FEATURES)))


def _axes(mask: np.ndarray) -> tuple[float, float]:
    """Lengths of the principal axes of a pixel set: 4·sqrt of the second-moment eigenvalues (each pixel a unit
    square, so a single pixel measures 4·sqrt(1/12) ≈ 1.15 both ways)."""
    ys, xs = np.nonzero(mask)
    cov = np.cov(np.stack([xs, ys]).astype(np.float64)) if xs.size > 1 else np.zeros((2, 2))
    eig = np.clip(np.linalg.eigvalsh(cov), 0.0, None) + 1.0 / 12.0
    return 4.0 * float(np.sqrt(eig[1])), 4.0 * float(np.sqrt(eig[0]))


def _solidity(mask: np.ndarray) -> float:
    """Share of the convex hull (of pixel centres, grown by half a pixel) the region fills."""
    ys, xs = np.nonzero(mask)
    points = np.stack([xs, ys], axis=1).astype(np.float32)
    hull = cv2.convexHull(points)
    hull_area = cv2.contourArea(hull) + cv2.arcLength(hull, True) / 2 + 1.0
    return float(min(1.0, mask.sum() / hull_area))

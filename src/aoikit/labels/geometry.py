"""Pixel-exact outlines and rasterisation in pixel-edge coordinates.

Pixel ``(x, y)`` covers the square ``[x, x + 1) × [y, y + 1)``, the convention of COCO, CVAT,
LabelMe and Label Studio. An outline traced here runs along pixel edges, so filling it again
(pixels whose centre lies inside) gives back the very same pixels.
"""

import cv2
import numpy as np
from skimage.draw import polygon2mask

Point = tuple[float, float]
Polygon = list[Point]
Box = tuple[int, int, int, int]


def trace_outlines(mask: np.ndarray) -> list[tuple[Polygon, list[Polygon]]]:
    """Outer outline and hole outlines of each 8-connected part of ``mask``.

    ``cv2.findContours`` (RETR_CCOMP) runs on the mask upsampled ×2, where a boundary pixel at
    ``2x`` or ``2x + 1`` maps to the edge ``x`` or ``x + 1``; points on straight runs are dropped.
    """
    up = np.pad(np.repeat(np.repeat(mask.astype(np.uint8), 2, axis=0), 2, axis=1), 1)
    contours, hierarchy = cv2.findContours(up, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    if hierarchy is None:
        return []
    parents = hierarchy[0][:, 3]
    return [
        (_to_edges(contour), [_to_edges(contours[int(j)]) for j in np.flatnonzero(parents == i)])
        for i, contour in enumerate(contours)
        if parents[i] < 0
    ]


def _to_edges(contour: np.ndarray) -> Polygon:
    points = contour[:, 0, :] // 2  # padded, upsampled pixel index -> pixel edge
    points = points[np.any(points != np.roll(points, 1, axis=0), axis=1)]
    before, after = points - np.roll(points, 1, axis=0), np.roll(points, -1, axis=0) - points
    corners = points[before[:, 0] * after[:, 1] != before[:, 1] * after[:, 0]]
    return [(int(x), int(y)) for x, y in corners]


def rasterize(polygon: Polygon, holes: list[Polygon], height: int, width: int) -> np.ndarray:
    """Bool mask of the pixels whose centre lies inside ``polygon`` and outside every hole."""
    mask = _fill(polygon, height, width)
    for hole in holes:
        mask &= ~_fill(hole, height, width)
    return mask


def _fill(polygon: Polygon, height: int, width: int) -> np.ndarray:
    if len(polygon) < 3:
        return np.zeros((height, width), dtype=bool)
    rows_cols = np.asarray(polygon, dtype=np.float64)[:, ::-1] - 0.5  # pixel centres sit at integers
    return polygon2mask((height, width), rows_cols)


def polygon_box(polygon: Polygon, height: int, width: int) -> Box:
    """Box of the pixels whose centres lie within the polygon's extent, clipped to the image."""
    pts = np.asarray(polygon, dtype=np.float64)
    x0, y0 = np.ceil(pts.min(axis=0) - 0.5).astype(int)
    x1, y1 = np.floor(pts.max(axis=0) - 0.5).astype(int) + 1
    x0, y0 = min(max(int(x0), 0), width), min(max(int(y0), 0), height)
    return x0, y0, max(min(int(x1), width), x0), max(min(int(y1), height), y0)


def mask_box(mask: np.ndarray) -> Box:
    """Tight box ``(x0, y0, x1, y1)`` of the True pixels (x1, y1 exclusive); (0, 0, 0, 0) when empty."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return 0, 0, 0, 0
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two ``(x0, y0, x1, y1)`` boxes (x1, y1 exclusive)."""
    iw = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0

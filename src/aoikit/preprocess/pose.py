"""Part pose normalisation: turn an elongated part to one angle and position before inspection."""

import cv2
import numpy as np

from aoikit.preprocess.foreground import foreground_mask

MIN_ELONGATION = 1.5  # variance ratio of the principal axes below which a part's angle is left alone
END_FRACTION = 0.15  # share of the part's length, at each end, whose width decides which end is which


def part_pose(image: np.ndarray) -> np.ndarray:
    """Affine transform (2×3) that centres the part and lays its long axis horizontal, wide end left.

    The part is the :func:`foreground_mask` (undilated). Along its long axis the middle of its extent goes to
    the image centre, so both ends stay in view; across it, its centroid. A part that is not elongated
    (principal variances within ``MIN_ELONGATION``) is only centred on its centroid, since its angle is
    undefined. The 180° ambiguity of the axis is settled by width: the end whose outer ``END_FRACTION`` of
    the length is wider (a screw's head) goes left.
    """
    h, w = image.shape
    ys, xs = np.nonzero(foreground_mask(image, dilate=0))
    cx, cy = float(xs.mean()), float(ys.mean())
    dx, dy = xs - cx, ys - cy
    variances, vectors = np.linalg.eigh(np.cov(np.stack([dx, dy])))
    angle = 0.0
    if variances[1] > MIN_ELONGATION * max(variances[0], 1e-12):
        ax, ay = vectors[:, 1]
        along, across = dx * ax + dy * ay, np.abs(dy * ax - dx * ay)
        lo, hi = np.quantile(along, [END_FRACTION, 1.0 - END_FRACTION])
        start_wider = across[along <= lo].mean() >= across[along >= hi].mean()
        angle = float(np.degrees(np.arctan2(ay, ax))) + (0.0 if start_wider else 180.0)
        middle = (float(along.min()) + float(along.max())) / 2
        cx, cy = cx + middle * ax, cy + middle * ay
    matrix = np.asarray(cv2.getRotationMatrix2D((cx, cy), angle, 1.0), dtype=np.float64)
    matrix[:, 2] += np.array([w / 2 - cx, h / 2 - cy])
    return matrix


def align_part(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The image in the part's canonical pose (borders replicated) and the transform that was applied."""
    matrix = part_pose(image)
    h, w = image.shape
    aligned = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return aligned, matrix


def unalign(
    array: np.ndarray, matrix: np.ndarray, fill: float | None = None, shape: tuple[int, ...] | None = None
) -> np.ndarray:
    """Bring an array from the canonical pose (or a crop) back to the image's own frame, of ``shape`` (default:
    the array's).

    Pixels the canonical frame did not cover get ``fill``, or the nearest covered value when ``fill`` is None.
    """
    h, w = shape or array.shape
    border = (cv2.BORDER_REPLICATE, 0.0) if fill is None else (cv2.BORDER_CONSTANT, fill)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(array, matrix, (w, h), flags=flags, borderMode=border[0], borderValue=border[1])

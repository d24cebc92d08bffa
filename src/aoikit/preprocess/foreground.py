"""Object-versus-background masks for parts photographed on a plain background."""

import cv2
import numpy as np


def foreground_mask(
    image: np.ndarray, blur_sigma: float = 4.0, dilate: int = 15, threshold: float | None = None
) -> np.ndarray:
    """Pixels belonging to the part: a split of the blurred image, the side unlike the border, dilated.

    Args:
        image: float grayscale image in [0, 1].
        blur_sigma: Gaussian blur before thresholding, so texture and dust do not split the mask.
        dilate: radius in pixels added around the part, so defects at its outline stay inside.
        threshold: grey level that splits the blurred image; None finds one by Otsu's method.

    Returns:
        Boolean mask of the image's shape; all True when Otsu finds no split (a plain image).
    """
    blurred = cv2.GaussianBlur(image.astype(np.float32), (0, 0), blur_sigma)
    if threshold is None:
        as_uint8 = np.clip(blurred * 255.0, 0, 255).astype(np.uint8)
        if as_uint8.min() == as_uint8.max():
            return np.ones(image.shape, dtype=bool)
        _, split = cv2.threshold(as_uint8, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    else:
        split = (blurred > threshold).astype(np.uint8)
    border = np.concatenate([split[0], split[-1], split[:, 0], split[:, -1]])
    part = split != round(float(border.mean()))
    if dilate > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * dilate + 1, 2 * dilate + 1))
        part = cv2.dilate(part.astype(np.uint8), kernel).astype(bool)
    return part

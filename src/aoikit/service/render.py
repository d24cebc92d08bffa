"""The pictures stored with each inspection: the anomaly map in colour and the outlined overlay, as PNG bytes."""

import io

import numpy as np
from matplotlib import colormaps
from PIL import Image

from aoikit.viz import overlay

MAP_RANGE = 1.5
"""The map's colours span 0 to this many pixel thresholds (as in the prediction panels)."""


def png(rgb: np.ndarray) -> bytes:
    """PNG bytes of an H×W×3 float image in [0, 1]."""
    out = io.BytesIO()
    Image.fromarray((np.clip(rgb, 0.0, 1.0) * 255).round().astype(np.uint8)).save(out, format="PNG")
    return out.getvalue()


def map_png(anomaly_map: np.ndarray, threshold: float) -> bytes:
    """The anomaly map coloured (inferno) from 0 to 1.5 × the pixel threshold."""
    scaled = np.clip(anomaly_map / max(threshold * MAP_RANGE, 1e-6), 0.0, 1.0)
    return png(colormaps["inferno"](scaled)[..., :3])


def overlay_png(image: np.ndarray, mask: np.ndarray) -> bytes:
    """The frame with the anomalous pixels tinted and outlined in red."""
    return png(overlay(image, mask))

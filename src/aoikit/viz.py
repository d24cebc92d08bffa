"""Figures people look at: per-image panels and overlays."""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure


def overlay(image: np.ndarray, mask: np.ndarray, color: tuple[float, float, float] = (1.0, 0.1, 0.1)) -> np.ndarray:
    """RGB image with ``mask`` tinted and outlined in ``color``."""
    rgb = np.repeat(image[..., None], 3, axis=-1).astype(np.float32)
    tint = np.asarray(color, dtype=np.float32)
    rgb[mask] = 0.55 * rgb[mask] + 0.45 * tint
    edge = mask & ~_erode(mask)
    rgb[edge] = tint
    return np.clip(rgb, 0.0, 1.0)


def _erode(mask: np.ndarray) -> np.ndarray:
    padded = np.pad(mask, 1, mode="edge")
    return padded[1:-1, 1:-1] & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]


def save_panel(
    path: Path,
    image: np.ndarray,
    reconstruction: np.ndarray | None,
    anomaly_map: np.ndarray,
    threshold: float,
    ground_truth: np.ndarray | None = None,
    title: str = "",
) -> None:
    """Original, reconstruction (when the family makes one), anomaly map, segmentation overlay (and ground truth)
    side by side."""
    grey = {"cmap": "gray", "vmin": 0, "vmax": 1}
    panels: list[tuple[str, np.ndarray, dict[str, object]]] = [("original", image, grey)]
    if reconstruction is not None:
        panels.append(("reconstruction", reconstruction, grey))
    panels += [
        ("anomaly map", anomaly_map, {"cmap": "inferno", "vmin": 0, "vmax": max(threshold * 1.5, 1e-6)}),
        (f"segmentation > {threshold:.3f}", overlay(image, anomaly_map > threshold), {}),
    ]
    if ground_truth is not None:
        panels.append(("ground truth", overlay(image, ground_truth, (0.1, 0.9, 0.1)), {}))
    fig = Figure(figsize=(3.2 * len(panels), 3.6))
    axes = fig.subplots(1, len(panels))
    for ax, (name, data, kwargs) in zip(axes, panels, strict=True):
        ax.imshow(data, **kwargs)
        ax.set_title(name, fontsize=10)
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)

"""Write evaluation results: metrics.json, a Markdown summary, ROC curves and per-image panels."""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from aoikit.data.image_io import resize_gray
from aoikit.evaluation.evaluate import TestSet
from aoikit.viz import save_panel


def _fmt(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def summary_markdown(results: dict[int, dict[str, Any]], title: str) -> str:
    """Overall table per window, segmentation under both thresholds, then a per-defect-type table."""
    lines = [f"# {title}", "", "| window | pixel AUROC | AUPRO@0.3 | image AUROC |", "|---|---|---|---|"]
    for window, res in results.items():
        lines.append(f"| {window} | {_fmt(res['pixel_auroc'])} | {_fmt(res['aupro'])} | {_fmt(res['image_auroc'])} |")
    lines += [
        "",
        "## Segmentation",
        "",
        "| window | threshold | value | IoU | Dice | TPR | FPR |",
        "|---|---|---|---|---|---|---|",
    ]
    for window, res in results.items():
        for kind, label in (("test_fitted", "Youden-J, test-fitted (seed protocol)"), ("calibrated", "calibrated")):
            seg = res[f"segmentation_{kind}"]
            row = [window, label, res[f"threshold_{kind}"], seg["iou"], seg["dice"], seg["tpr"], seg["fpr"]]
            lines.append("| " + " | ".join(_fmt(v) for v in row) + " |")
    lines += ["", "The calibrated threshold is a quantile of residuals of held-out good validation images."]
    lines += ["", "## Parts flagged at the calibrated image threshold", ""]
    lines += ["| window | threshold | defective flagged (TPR) | good flagged (FPR) |", "|---|---|---|---|"]
    for window, res in results.items():
        d = res["images_calibrated"]
        lines.append(f"| {window} | {_fmt(d['threshold'])} | {_fmt(d['tpr'])} | {_fmt(d['fpr'])} |")
    lines += ["", "The image threshold is a quantile of the image scores of held-out good validation images."]
    for window, res in results.items():
        lines += [
            "",
            f"## Per defect type, window {window}",
            "",
            "| type | images | pixel AUROC | AUPRO@0.3 | image AUROC |",
        ]
        lines.append("|---|---|---|---|---|")
        for name, m in res["per_type"].items():
            lines.append(
                f"| {name} | {m['images']} | {_fmt(m['pixel_auroc'])} | {_fmt(m['aupro'])} | {_fmt(m['image_auroc'])} |"
            )
    return "\n".join(lines) + "\n"


def plot_roc(path: Path, results: dict[int, dict[str, Any]], title: str) -> None:
    """Pixel ROC curves, one line per window."""
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    for window, res in results.items():
        ax.plot(res["roc"]["fpr"], res["roc"]["tpr"], label=f"window {window} (AUROC {res['pixel_auroc']:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("false positive rate (pixels)")
    ax.set_ylabel("true positive rate (pixels)")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_report(
    out_dir: Path,
    results: dict[int, dict[str, Any]],
    test: TestSet,
    maps: dict[int, list[np.ndarray]],
    recons: Sequence[np.ndarray] | None,
    window: int,
    panels: int,
    title: str,
) -> None:
    """metrics.json, summary.md, roc.png and up to ``panels`` per-image panels at ``window`` (``recons`` None: the
    family makes no reconstruction to show)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    serialisable = {str(w): {k: v for k, v in res.items() if k != "roc"} for w, res in results.items()}
    (out_dir / "metrics.json").write_text(json.dumps(serialisable, indent=2))
    (out_dir / "summary.md").write_text(summary_markdown(results, title))
    plot_roc(out_dir / "roc.png", results, title)
    threshold = results[window]["threshold_calibrated"]
    for i in sorted({int(i) for i in np.linspace(0, len(test.samples) - 1, min(panels, len(test.samples)))}):
        sample = test.samples[i]
        name = f"{sample.defect_type}_{sample.path.stem}.png"
        save_panel(
            out_dir / "panels" / name,
            test.images[i],
            None if recons is None else _native(recons[i], test.images[i]),
            maps[window][i],
            threshold,
            test.masks[i],
            title=f"{sample.defect_type}/{sample.path.name}",
        )


def _native(recon: np.ndarray, image: np.ndarray) -> np.ndarray:
    return recon if recon.shape == image.shape else resize_gray(recon, image.shape)

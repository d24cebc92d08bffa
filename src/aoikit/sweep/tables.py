"""The study's tables (rows: latent size or baseline; columns: windows) and window-vs-AUC figure."""

import csv
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

METRICS = {"pixel_auroc": "pixel AUROC", "aupro": "AUPRO@0.3", "image_auroc": "image AUROC"}
Results = dict[str, dict[str, dict[str, Any]]]


def _value(metrics: dict[str, Any], window: int, metric: str) -> float | None:
    entry = metrics.get(str(window))
    return None if entry is None else float(entry[metric])


def write_tables(results: Results, windows: list[int], out_dir: Path) -> Path:
    """One CSV per category and metric, and a Markdown file with all tables; returns the Markdown path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    for category, rows in results.items():
        for metric, label in METRICS.items():
            header = ["model", *(f"window {w}" for w in windows)]
            table = [[name, *(_value(m, w, metric) for w in windows)] for name, m in rows.items()]
            with (out_dir / f"{category}_{metric}.csv").open("w", newline="") as f:
                csv.writer(f).writerows([header, *table])
            lines += [f"## {category}: {label}", "", "| " + " | ".join(header) + " |"]
            lines.append("|" + "---|" * len(header))
            for row in table:
                cells = [str(row[0]), *("–" if v is None else f"{v:.4f}" for v in row[1:])]
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
    path = out_dir / "tables.md"
    path.write_text("\n".join(lines))
    return path


def plot_windows(results: Results, windows: list[int], path: Path, metric: str = "pixel_auroc") -> None:
    """Window size vs AUC: one line per latent size, baselines dashed, one chart per category."""
    fig = Figure(figsize=(4.5 * len(results), 4))
    axes = fig.subplots(1, len(results), squeeze=False)[0]
    for ax, (category, rows) in zip(axes, results.items(), strict=True):
        for name, metrics in rows.items():
            values = [_value(metrics, w, metric) for w in windows]
            style = "--" if "baseline" in name else "-"
            ax.plot(windows, [float("nan") if v is None else v for v in values], style, marker="o", label=name)
        ax.set_title(category)
        ax.set_xlabel("SSIM window size")
        ax.set_ylabel(METRICS[metric])
        ax.set_xticks(windows)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)

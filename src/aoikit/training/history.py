"""Per-epoch training history as a CSV file and a loss plot, each replaced atomically."""

import csv
import os
from pathlib import Path

from matplotlib.figure import Figure


def write_history(path: Path, history: list[dict[str, float]]) -> None:
    """One row per epoch; the columns are the keys of the first row."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)
    os.replace(tmp, path)


def plot_history(path: Path, history: list[dict[str, float]], series: dict[str, str], ylabel: str) -> None:
    """Plot the columns named in ``series`` (column -> legend label) against the epoch.

    The y axis turns logarithmic when the values are positive and span more than a factor of 10.
    """
    epochs = [row["epoch"] for row in history]
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    for column, label in series.items():
        ax.plot(epochs, [row[column] for row in history], marker=".", label=label)
    values = [row[column] for row in history for column in series]
    if min(values) > 0 and max(values) / min(values) > 10:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.legend()
    ax.grid(alpha=0.3)
    tmp = path.with_name(path.name + ".tmp.png")
    fig.savefig(tmp, dpi=100)
    os.replace(tmp, path)

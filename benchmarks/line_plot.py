"""The timeline figure of ``line_loop.py``: one panel per defect type held back."""

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from line_stream import GOOD


def timeline(rows: list[dict[str, Any]], path: Path, title: str) -> None:
    """Per row: each frame's score over the stream (good grey, known types blue, the held-back type red; a filled
    red dot is caught, a star caught and named right), the image threshold, the alert and the retrain."""
    fig, axes = plt.subplots(len(rows), 1, figsize=(11, 2.4 * len(rows)), squeeze=False, sharex=False)
    for ax, row in zip(axes[:, 0], rows, strict=True):
        frames = row["timeline"]
        held = row["held_back"]
        for kind, colour, label in ((GOOD, "0.7", "good"), (None, "tab:blue", "known types")):
            points = [f for f in frames if (f[3] == GOOD) == (kind == GOOD) and f[3] != held]
            ax.scatter([f[0] for f in points], [f[1] for f in points], s=6, c=colour, label=label)
        new = [f for f in frames if f[3] == held]
        ax.scatter([f[0] for f in new if not f[4]], [f[1] for f in new if not f[4]], s=18, facecolors="none",
                   edgecolors="tab:red", label=f"{held}: missed")  # fmt: skip
        caught = [f for f in new if f[4] and not f[5]]
        ax.scatter([f[0] for f in caught], [f[1] for f in caught], s=18, c="tab:red", label=f"{held}: caught")
        named = [f for f in new if f[5]]
        ax.scatter([f[0] for f in named], [f[1] for f in named], s=60, marker="*", c="darkred", label="caught, named")
        if frames:
            ax.axhline(frames[0][2], color="k", lw=0.7, ls=":", label="image threshold")
        if "alert_at" in row:
            ax.axvline(row["alert_at"], color="tab:orange", lw=1.5, label="new-kind alert")
        if "retrain_at" in row:
            ax.axvline(row["retrain_at"] - 0.5, color="tab:green", lw=1.5, ls="--", label="retrained (U-Net)")
        ax.set_title(f"{title}: {held} held back", fontsize=9)
        ax.set_ylabel("score", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=6, ncol=4, loc="upper left")
    axes[-1, 0].set_xlabel("frame of the stream")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

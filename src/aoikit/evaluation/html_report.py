"""One self-contained HTML page from what ``aoikit evaluate`` wrote into RUN/eval: metrics, ROC, per-type bars,
panels, calibration and the run's configuration, every picture embedded as a PNG data URI."""

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from aoikit.errors import AoikitError

STYLE = (
    "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:.3em .6em;text-align:right}"
    "th:first-child,td:first-child{text-align:left}img{max-width:100%}figure{margin:1em 0}"
    "pre{background:#f4f4f4;padding:1em;overflow-x:auto}"
)
METRIC_COLUMNS = [
    "window", "pixel AUROC", "AUPRO@0.3", "image AUROC", "image threshold", "defective flagged (TPR)",
    "good flagged (FPR)", "pixel threshold", "IoU", "Dice", "pixel TPR", "pixel FPR",
]  # fmt: skip


def _cell(value: object) -> str:
    return html.escape(f"{value:.4f}" if isinstance(value, float) else str(value))


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def _metric_rows(metrics: dict[str, dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for window, res in metrics.items():
        images, seg = res["images_calibrated"], res["segmentation_calibrated"]
        rows.append(
            [window, res["pixel_auroc"], res["aupro"], res["image_auroc"], images["threshold"], images["tpr"],
             images["fpr"], res["threshold_calibrated"], seg["iou"], seg["dice"], seg["tpr"], seg["fpr"]]
        )  # fmt: skip
    return rows


def per_type_bars(metrics: dict[str, dict[str, Any]]) -> bytes:
    """PNG of image AUROC per defect type, one bar per window, the overall value as a dashed line."""
    types = [t for t in next(iter(metrics.values()))["per_type"] if t != "overall"]
    fig = Figure(figsize=(max(5.0, 1.0 + 0.9 * len(types)), 3.6))
    ax = fig.subplots()
    width = 0.8 / len(metrics)
    for k, (window, res) in enumerate(metrics.items()):
        values = [res["per_type"][t]["image_auroc"] for t in types]
        label = f"window {window} (overall {res['image_auroc']:.3f})"
        bars = ax.bar([i + (k - (len(metrics) - 1) / 2) * width for i in range(len(types))], values, width, label=label)
        ax.axhline(res["image_auroc"], color=bars.patches[0].get_facecolor(), linestyle="--", linewidth=1)
    ax.set_xticks(range(len(types)), types, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("image AUROC")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _calibration(model_json: Path) -> str:
    """The calibrated state saved with the model, as a table, and the network it rebuilds."""
    if not model_json.is_file():
        return f"<p>{html.escape(str(model_json))} not found</p>"
    try:
        saved = json.loads(model_json.read_text())
        state, network = saved["state"], {"model": saved["model"], "model_config": saved.get("model_config")}
    except (ValueError, KeyError, TypeError) as exc:
        raise AoikitError(f"{model_json}: not a calibrated model ({exc!r})") from None
    rows = [[k, json.dumps(v) if isinstance(v, list) else v] for k, v in state.items()]
    return _table(["value", "calibrated"], rows) + f"<p>network: <code>{html.escape(json.dumps(network))}</code></p>"


def _panels(folder: Path) -> str:
    panels = sorted(folder.glob("*.png"))
    figures = [
        f"<figure>{_img(p.read_bytes(), p.stem)}<figcaption>{html.escape(p.stem)}</figcaption></figure>" for p in panels
    ]
    return f"<h2>Panels ({len(panels)} test images, evenly spaced)</h2>" + "".join(figures)


def report_html(run: Path) -> str:
    """The page for RUN from RUN/eval (metrics.json, roc.png, panels/), RUN/config.yaml and RUN/model/config.json."""
    folder = run / "eval"
    if not (folder / "metrics.json").is_file():
        raise AoikitError(f"{run}: no evaluation in {folder}; run 'aoikit evaluate --run {run}' first")
    try:
        metrics: dict[str, dict[str, Any]] = json.loads((folder / "metrics.json").read_text())
        rows, bars = _metric_rows(metrics), per_type_bars(metrics)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AoikitError(f"{folder / 'metrics.json'}: not written by 'aoikit evaluate' ({exc!r})") from None
    title = f"aoikit report: {run.resolve().name}"
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1><p>{html.escape(str(run))}</p>",
        "<h2>Metrics</h2>" + _table(METRIC_COLUMNS, rows),
        "<p>Thresholds are calibrated on held-out good validation images; the image threshold flags parts, the pixel "
        "threshold segments defects.</p>",
    ]
    if (folder / "roc.png").is_file():
        parts.append("<h2>Pixel ROC</h2>" + _img((folder / "roc.png").read_bytes(), "pixel ROC"))
    parts.append("<h2>Image AUROC per defect type</h2>" + _img(bars, "image AUROC per defect type"))
    parts.append(_panels(folder / "panels"))
    parts.append("<h2>Calibration</h2>" + _calibration(run / "model" / "config.json"))
    config = run / "config.yaml"
    text = config.read_text() if config.is_file() else f"{config} not found"
    parts.append("<h2>Configuration</h2><pre>" + html.escape(text) + "</pre>")
    return "\n".join(parts) + "\n</body></html>\n"


def write_report_html(run: Path, out: Path | None = None) -> Path:
    """Write :func:`report_html` to ``out`` (default RUN/eval/report.html); the path written."""
    text = report_html(run)
    path = out or run / "eval" / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path

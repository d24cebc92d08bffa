"""Label Studio tasks with pre-annotations (``predictions``), the labelling config they fit, and the images.

Each region becomes a ``rectanglelabels`` result (x, y, width, height in percent of the image) and a
``brushlabels`` result (brush RLE, keeps holes), both with the region's score. A task's prediction
score is its highest region score, so the queue can be sorted by it; Label Studio takes only 0 to 1
there, so when some score lies outside, all are mapped linearly onto [0, 1] (order kept; region
scores stay as they are). ``data.width`` and ``data.height`` give the image size also for tasks
without regions.

``data.image`` is a local-files URL, ``/data/local-files/?d=images/<name>`` (TIFF images are copied as
PNG, which browsers show). Label Studio serves it when started with
``LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true`` and ``LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT`` set to
the folder holding ``tasks.json``, once the project has a Local Files source storage on that folder's
``images/`` (see the README).
"""

import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote

from aoikit.labels.brush import brush_decode, brush_encode
from aoikit.labels.dataset_images import BROWSER_SUFFIXES, copy_images
from aoikit.labels.image_labels import ImageLabels, check_classes, read_json, score_of, write_json
from aoikit.labels.regions import Region

IMAGE, RECTANGLES, BRUSH = "image", "label", "mask"  # tag names in the labelling config
LOCAL_FILES = "/data/local-files/?d="
"""Label Studio's URL for a file under its local-files document root."""
IMAGES = "images"
_PERCENT = ("x", "y", "width", "height")


def write_labelstudio(
    labels: list[ImageLabels], out_dir: Path, class_names: list[str], model_version: str = "aoikit"
) -> list[Path]:
    """Write ``out_dir/tasks.json`` (to import), ``out_dir/label_config.xml`` (the project's config) and the images.

    Returns:
        ``tasks.json``, ``label_config.xml``, then the image copies in ``out_dir/images/``.
    """
    check_classes(labels, class_names)
    copies = copy_images(labels, out_dir / IMAGES, BROWSER_SUFFIXES)
    scores = prediction_scores([_highest_score(item) for item in labels])
    tasks = []
    for item, copy, score in zip(labels, copies, scores, strict=True):
        results = []
        for i, region in enumerate(item.regions):
            results += [_rectangle(region, item, f"r{i}"), _brush(region, item, f"m{i}")]
        prediction = {"model_version": model_version, "score": score, "result": results}
        data = {"image": LOCAL_FILES + quote(f"{IMAGES}/{copy.name}"), "width": item.width, "height": item.height}
        tasks.append({"data": data, "predictions": [prediction]})
    config = _write_config(out_dir / "label_config.xml", class_names)
    return [write_json(out_dir / "tasks.json", tasks), config, *copies]


def _highest_score(item: ImageLabels) -> float | None:
    return max((s for region in item.regions if (s := score_of(region)) is not None), default=None)


def prediction_scores(maxima: list[float | None]) -> list[float]:
    """Task scores in [0, 1] from each task's highest region score (None: no scored region, 0).

    Scores already in [0, 1] are kept; otherwise all are mapped by one increasing linear map onto [0, 1].
    """
    known = [s for s in maxima if s is not None]
    low, high = min([0.0, *known]), max([1.0, *known])
    return [0.0 if s is None else (s - low) / (high - low) for s in maxima]


def _result(region: Region, item: ImageLabels, rid: str, kind: str, value: dict[str, Any]) -> dict[str, Any]:
    result = {
        "id": rid,
        "type": f"{kind}labels",
        "from_name": RECTANGLES if kind == "rectangle" else BRUSH,
        "to_name": IMAGE,
        "original_width": item.width,
        "original_height": item.height,
        "image_rotation": 0,
        "value": {**value, f"{kind}labels": [region.class_name]},
    }
    if (score := score_of(region)) is not None:
        result["score"] = score
    return result


def _rectangle(region: Region, item: ImageLabels, rid: str) -> dict[str, Any]:
    x0, y0, x1, y1 = region.box
    sizes = (item.width, item.height) * 2
    percent = {k: 100.0 * v / s for k, v, s in zip(_PERCENT, (x0, y0, x1 - x0, y1 - y0), sizes, strict=True)}
    return _result(region, item, rid, "rectangle", {**percent, "rotation": 0})


def _brush(region: Region, item: ImageLabels, rid: str) -> dict[str, Any]:
    rle = brush_encode(region.paste(item.height, item.width))
    return _result(region, item, rid, "brush", {"format": "rle", "rle": rle})


def _write_config(path: Path, class_names: list[str]) -> Path:
    view = ET.Element("View")
    ET.SubElement(view, "Image", {"name": IMAGE, "value": f"${IMAGE}", "zoom": "true"})
    for tag, name in (("RectangleLabels", RECTANGLES), ("BrushLabels", BRUSH)):
        group = ET.SubElement(view, tag, {"name": name, "toName": IMAGE})
        for class_name in class_names:
            ET.SubElement(group, "Label", {"value": class_name})
    ET.indent(view)
    ET.ElementTree(view).write(path, encoding="utf-8")
    return path


def read_labelstudio(path: Path, kind: Literal["rectangle", "brush"] = "brush") -> list[ImageLabels]:
    """Read tasks back: the last annotation's results if a person made one, else the first prediction's.

    A local-files ``data.image`` becomes a path under the folder of ``path`` (the document root it was
    written for).

    Args:
        path: a tasks JSON as written here or exported by Label Studio.
        kind: which results become regions (``rectangle`` → boxes, rotation ignored; ``brush`` → masks).
    """
    items = []
    for task in read_json(path):
        annotations, predictions = task.get("annotations") or [], task.get("predictions") or [{"result": []}]
        chosen = annotations[-1] if annotations else predictions[0]
        results = [r for r in chosen["result"] if r["type"] == f"{kind}labels"]
        width = int(task["data"].get("width") or (results[0]["original_width"] if results else 0))
        height = int(task["data"].get("height") or (results[0]["original_height"] if results else 0))
        regions = [_region(r, kind, width, height) for r in results]
        items.append(ImageLabels(_image_path(task["data"]["image"], Path(path).parent), width, height, regions))
    return items


def _image_path(url: str, folder: Path) -> str:
    """A local-files URL as a path under ``folder`` (the document root it was written for); others unchanged."""
    return str(folder / unquote(url.removeprefix(LOCAL_FILES))) if url.startswith(LOCAL_FILES) else url


def _region(result: dict[str, Any], kind: str, width: int, height: int) -> Region:
    value, score = result["value"], float(result.get("score", math.nan))
    name = value[f"{kind}labels"][0]
    if kind == "brush":
        return Region.from_mask(brush_decode(value["rle"], height, width), name, score)
    x, y, w, h = (value[k] / 100.0 * s for k, s in zip(_PERCENT, (width, height) * 2, strict=True))
    return Region.from_box((round(x), round(y), round(x + w), round(y + h)), (width, height), name, score)

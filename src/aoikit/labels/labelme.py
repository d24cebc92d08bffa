"""LabelMe folder: each image with its JSON beside it; a polygon and a rectangle per region, tied by ``group_id``.

``imagePath`` is the image's file name, relative to the JSON file as LabelMe resolves it, so
``labelme FOLDER`` opens the folder wherever it is moved. LabelMe polygons cannot hold holes, so the
outer outline is written; the region's score goes into the shape's ``description``.
"""

import math
import os
from pathlib import Path
from typing import Any

from aoikit.labels.dataset_images import copy_images
from aoikit.labels.image_labels import ImageLabels, check_classes, read_json, score_of, write_json
from aoikit.labels.regions import Region

LABELME_VERSION = "5.5.0"


def write_labelme(labels: list[ImageLabels], out_dir: Path, class_names: list[str]) -> list[Path]:
    """Copy the images to ``out_dir`` and write ``<stem>.json`` beside each, also for images without regions.

    Returns:
        The JSON files, then the image copies.
    """
    check_classes(labels, class_names)
    copies = copy_images(labels, out_dir)
    written = []
    for item, copy in zip(labels, copies, strict=True):
        shapes = []
        for group_id, region in enumerate(item.regions, start=1):
            x0, y0, x1, y1 = region.box
            score = score_of(region)
            for kind, points in (("polygon", region.polygon), ("rectangle", [(x0, y0), (x1, y1)])):
                shapes.append(
                    {
                        "label": region.class_name,
                        "points": [list(p) for p in points],
                        "group_id": group_id,
                        "description": "" if score is None else f"score={score:.4f}",
                        "shape_type": kind,
                        "flags": {},
                        "mask": None,
                    }
                )
        data: dict[str, Any] = {
            "version": LABELME_VERSION,
            "flags": {},
            "shapes": shapes,
            "imagePath": copy.name,
            "imageData": None,
            "imageHeight": item.height,
            "imageWidth": item.width,
        }
        written.append(write_json(out_dir / f"{copy.stem}.json", data))
    return [*written, *copies]


def read_labelme(paths: list[Path]) -> list[ImageLabels]:
    """Read LabelMe files back; shapes sharing a ``group_id`` form one region.

    Where a group has a polygon, the region is the polygon's (its box follows the polygon), else the
    rectangle's. ``image_path`` is resolved against the JSON file's folder.
    """
    items = []
    for path in paths:
        data = read_json(path)
        size = (int(data["imageWidth"]), int(data["imageHeight"]))
        groups: dict[Any, dict[str, Any]] = {}
        for i, shape in enumerate(data["shapes"]):
            key = shape.get("group_id") if shape.get("group_id") is not None else f"shape{i}"
            groups.setdefault(key, {})[shape["shape_type"]] = shape
        regions = [_region(group, size) for group in groups.values()]
        image = os.path.normpath(Path(path).parent / data["imagePath"])
        items.append(ImageLabels(image, size[0], size[1], regions))
    return items


def _region(group: dict[str, Any], size: tuple[int, int]) -> Region:
    shape = group.get("polygon") or group.get("rectangle") or next(iter(group.values()))
    score = _score(shape.get("description") or "")
    points = [(float(x), float(y)) for x, y in shape["points"]]
    if shape["shape_type"] != "rectangle":
        return Region.from_polygon(points, [], size, shape["label"], score)
    (xa, ya), (xb, yb) = points
    box = (round(min(xa, xb)), round(min(ya, yb)), round(max(xa, xb)), round(max(ya, yb)))
    return Region.from_box(box, size, shape["label"], score)


def _score(description: str) -> float:
    return float(description.removeprefix("score=")) if description.startswith("score=") else math.nan

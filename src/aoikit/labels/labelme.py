"""LabelMe JSON, one file per image: a polygon and a rectangle shape per region, tied by ``group_id``.

LabelMe polygons cannot hold holes, so the outer outline is written. ``imagePath`` is relative to
the JSON file, as LabelMe expects; the region's score goes into the shape's ``description``.
"""

import math
import os
from pathlib import Path
from typing import Any

from aoikit.data.naming import unique_stems
from aoikit.labels.image_labels import ImageLabels, check_classes, read_json, score_of, write_json
from aoikit.labels.regions import Region

LABELME_VERSION = "5.5.0"


def write_labelme(labels: list[ImageLabels], out_dir: Path, class_names: list[str]) -> list[Path]:
    """Write ``out_dir/<stem>.json`` for every image, also those without regions."""
    check_classes(labels, class_names)
    written = []
    for item, stem in zip(labels, unique_stems([item.image_path for item in labels]), strict=True):
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
        image_path = Path(os.path.relpath(Path(item.image_path).absolute(), out_dir.absolute()))
        data: dict[str, Any] = {
            "version": LABELME_VERSION,
            "flags": {},
            "shapes": shapes,
            "imagePath": image_path.as_posix(),
            "imageData": None,
            "imageHeight": item.height,
            "imageWidth": item.width,
        }
        written.append(write_json(out_dir / f"{stem}.json", data))
    return written


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

"""COCO instances JSON: one file for all images, segmentation as polygons or as run-length masks.

COCO polygons cannot hold holes (several polygons mean a union), so the polygon variant writes the
outer outline only; the RLE variant keeps every pixel. RLE counts alternate background and
foreground run lengths over the mask read column by column, starting with background.
"""

import math
from pathlib import Path
from typing import Any

import numpy as np

from aoikit.labels.geometry import rasterize
from aoikit.labels.image_labels import ImageLabels, check_classes, read_json, score_of, write_json
from aoikit.labels.regions import Region


def write_coco(labels: list[ImageLabels], out_dir: Path, class_names: list[str], rle: bool = False) -> list[Path]:
    """Write ``out_dir/annotations.json`` (polygons) or ``annotations_rle.json`` (uncompressed RLE masks).

    Each annotation also carries the region's ``score`` (as in COCO results files) when it is known.
    """
    check_classes(labels, class_names)
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for image_id, item in enumerate(labels, start=1):
        images.append({"id": image_id, "file_name": item.image_path, "width": item.width, "height": item.height})
        for region in item.regions:
            x0, y0, x1, y1 = region.box
            ann: dict[str, Any] = {
                "id": len(annotations) + 1,
                "image_id": image_id,
                "category_id": class_names.index(region.class_name) + 1,
                "bbox": [x0, y0, x1 - x0, y1 - y0],
                "area": region.area,
                "iscrowd": 0,
                "segmentation": (
                    rle_encode(region.paste(item.height, item.width))
                    if rle
                    else [[v for point in region.polygon for v in point]]
                ),
            }
            if (score := score_of(region)) is not None:
                ann["score"] = score
            annotations.append(ann)
    categories = [{"id": i, "name": name, "supercategory": "defect"} for i, name in enumerate(class_names, start=1)]
    data = {"images": images, "annotations": annotations, "categories": categories}
    return [write_json(out_dir / ("annotations_rle.json" if rle else "annotations.json"), data)]


def rle_encode(mask: np.ndarray) -> dict[str, Any]:
    """Uncompressed COCO RLE ``{"size": [h, w], "counts": [...]}`` of a bool mask."""
    flat = mask.ravel(order="F").astype(np.int8)
    starts = np.flatnonzero(np.diff(flat)) + 1
    counts = np.diff(np.concatenate([[0], starts, [flat.size]]))
    if flat.size and flat[0]:
        counts = np.concatenate([[0], counts])
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": counts.tolist()}


def rle_decode(rle: dict[str, Any]) -> np.ndarray:
    """Bool mask of a COCO RLE, uncompressed (list counts) or compressed (string counts)."""
    height, width = rle["size"]
    counts = rle["counts"]
    counts = np.asarray(_uncompress(counts) if isinstance(counts, str) else counts, dtype=np.int64)
    flat = np.repeat(np.arange(counts.size) % 2 == 1, counts)
    return flat.reshape((height, width), order="F")


def _uncompress(text: str) -> list[int]:
    """Counts of a compressed RLE string (pycocotools' ``rleFrString``)."""
    counts: list[int] = []
    pos = 0
    while pos < len(text):
        value, shift, more = 0, 0, True
        while more:
            c = ord(text[pos]) - 48
            value |= (c & 0x1F) << shift
            more = bool(c & 0x20)
            pos, shift = pos + 1, shift + 5
            if not more and c & 0x10:
                value -= 1 << shift
        counts.append(value + counts[-2] if len(counts) > 2 else value)
    return counts


def read_coco(path: Path) -> list[ImageLabels]:
    """Read a COCO instances file back, one entry per image in file order."""
    data = read_json(path)
    names = {c["id"]: c["name"] for c in data["categories"]}
    items = {im["id"]: ImageLabels(im["file_name"], im["width"], im["height"], []) for im in data["images"]}
    for ann in data["annotations"]:
        item = items[ann["image_id"]]
        name, score, seg = names[ann["category_id"]], ann.get("score", math.nan), ann["segmentation"]
        if isinstance(seg, dict):
            region = Region.from_mask(rle_decode(seg), name, score)
        elif len(seg) == 1:
            region = Region.from_polygon(_points(seg[0]), [], item.size, name, score)
        else:
            union = np.any([rasterize(_points(p), [], item.height, item.width) for p in seg], axis=0)
            region = Region.from_mask(union, name, score)
        item.regions.append(region)
    return list(items.values())


def _points(flat: list[float]) -> list[tuple[float, float]]:
    return list(zip(flat[0::2], flat[1::2], strict=True))

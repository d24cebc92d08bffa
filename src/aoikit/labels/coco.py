"""COCO instances dataset: ``annotations/instances_default.json`` beside ``images/``, as datumaro and CVAT lay it out.

Segmentation is polygons or compressed run-length masks (the string ``counts`` of pycocotools, which
its ``loadRes`` and COCO results take). COCO polygons cannot hold holes (several polygons mean a
union), so the polygon variant writes the outer outline only; the RLE variant keeps every pixel. RLE
counts alternate background and foreground run lengths over the mask read column by column, starting
with background.
"""

import math
from pathlib import Path
from typing import Any

import numpy as np

from aoikit.labels.dataset_images import copy_images
from aoikit.labels.geometry import rasterize
from aoikit.labels.image_labels import ImageLabels, check_classes, read_json, score_of, write_json
from aoikit.labels.regions import Region

ANNOTATIONS = "annotations/instances_default.json"
"""The instances file, relative to the dataset folder (subset ``default``)."""
IMAGES = "images"


def write_coco(labels: list[ImageLabels], out_dir: Path, class_names: list[str], rle: bool = False) -> list[Path]:
    """Write ``out_dir/annotations/instances_default.json`` and copy the images to ``out_dir/images/``.

    ``file_name`` is the copy's name inside ``images/``. Each annotation also carries the region's
    ``score`` (as in COCO results files) when it is known.

    Returns:
        The instances file, then the image copies.
    """
    check_classes(labels, class_names)
    copies = copy_images(labels, out_dir / IMAGES)
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for image_id, (item, copy) in enumerate(zip(labels, copies, strict=True), start=1):
        images.append({"id": image_id, "file_name": copy.name, "width": item.width, "height": item.height})
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
    return [write_json(out_dir / ANNOTATIONS, data), *copies]


def rle_counts(mask: np.ndarray) -> list[int]:
    """Uncompressed COCO RLE counts of a bool mask (column by column, background first)."""
    flat = mask.ravel(order="F").astype(np.int8)
    starts = np.flatnonzero(np.diff(flat)) + 1
    counts = np.diff(np.concatenate([[0], starts, [flat.size]]))
    if flat.size and flat[0]:
        counts = np.concatenate([[0], counts])
    return [int(c) for c in counts]


def rle_encode(mask: np.ndarray) -> dict[str, Any]:
    """Compressed COCO RLE ``{"size": [h, w], "counts": "..."}`` of a bool mask (pycocotools' ``encode``)."""
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": _compress(rle_counts(mask))}


def _compress(counts: list[int]) -> str:
    """pycocotools' ``rleToString``: each count less the one two before, in 5-bit groups with a more-bit."""
    chars = []
    for i, count in enumerate(counts):
        value, more = count - counts[i - 2] if i > 2 else count, True
        while more:
            group, value = value & 0x1F, value >> 5
            more = value != -1 if group & 0x10 else value != 0
            chars.append(chr(48 + (group | 0x20 if more else group)))
    return "".join(chars)


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
    """Read a COCO instances file back, one entry per image in file order.

    ``image_path`` is ``file_name`` inside the dataset's images folder, found as datumaro does:
    ``images/<subset>/`` if there is one, else ``images/``, beside the ``annotations/`` folder.
    """
    path = Path(path)
    data = read_json(path)
    images_dir = _images_dir(path)
    names = {c["id"]: c["name"] for c in data["categories"]}
    items = {
        im["id"]: ImageLabels(str(images_dir / im["file_name"]), im["width"], im["height"], []) for im in data["images"]
    }
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


def _images_dir(path: Path) -> Path:
    root = path.parent.parent if path.parent.name == "annotations" else path.parent
    subset = path.stem.split("_", 1)[1] if "_" in path.stem else ""
    images = root / IMAGES
    return images / subset if subset and (images / subset).is_dir() else images


def _points(flat: list[float]) -> list[tuple[float, float]]:
    return list(zip(flat[0::2], flat[1::2], strict=True))

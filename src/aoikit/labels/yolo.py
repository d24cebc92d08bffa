"""Ultralytics YOLO datasets: ``detect/`` (boxes) and ``segment/`` (polygons), each standing alone.

Each holds ``data.yaml``, ``images/train/`` and ``labels/train/<stem>.txt``, the layout Ultralytics
pairs by replacing ``/images/`` with ``/labels/``. A line is ``class cx cy w h`` (detect) or
``class x1 y1 x2 y2 ...`` (segment), normalised by the image size. Polygons carry no holes in this
format, so holes are left out. ``data.yaml`` has no ``path``: Ultralytics then takes the YAML's own
folder as the root (a relative ``path`` would be taken from the working directory). No split is
made: ``val`` names the same images as ``train``; split them before training.
"""

from pathlib import Path
from typing import Literal

import yaml

from aoikit.data.image_io import list_images
from aoikit.labels.dataset_images import copy_images, image_size
from aoikit.labels.image_labels import ImageLabels, check_classes
from aoikit.labels.regions import Region

Task = Literal["detect", "segment"]
TASKS: tuple[Task, ...] = ("detect", "segment")
SUBSET = "train"


def write_yolo(labels: list[ImageLabels], out_dir: Path, class_names: list[str]) -> list[Path]:
    """Write ``out_dir/{detect,segment}/`` with labels (empty for images without regions), images and data.yaml.

    Returns:
        Per task: the label files, ``data.yaml``, then the image copies.
    """
    check_classes(labels, class_names)
    written = []
    for task in TASKS:
        root = out_dir / task
        copies = copy_images(labels, root / "images" / SUBSET)
        (root / "labels" / SUBSET).mkdir(parents=True, exist_ok=True)
        for item, copy in zip(labels, copies, strict=True):
            path = root / "labels" / SUBSET / f"{copy.stem}.txt"
            path.write_text("".join(_line(r, item, class_names, task) + "\n" for r in item.regions), encoding="utf-8")
            written.append(path)
        images = f"images/{SUBSET}"
        data = {"train": images, "val": images, "names": dict(enumerate(class_names))}
        written.append(root / "data.yaml")
        written[-1].write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        written += copies
    return written


def _line(region: Region, item: ImageLabels, class_names: list[str], task: Task) -> str:
    w, h = item.width, item.height
    if task == "detect":
        x0, y0, x1, y1 = region.box
        values = [(x0 + x1) / 2 / w, (y0 + y1) / 2 / h, (x1 - x0) / w, (y1 - y0) / h]
    else:
        values = [v for x, y in region.polygon for v in (x / w, y / h)]
    return " ".join([str(class_names.index(region.class_name)), *(f"{v:.6f}" for v in values)])


def read_yolo(root: Path) -> list[ImageLabels]:
    """Read one task folder (``detect`` or ``segment``) back into pixel units, images sorted by name.

    Class names come from ``data.yaml``, image sizes from the images in ``images/train/``; an image
    without a label file has no regions.
    """
    names = yaml.safe_load((root / "data.yaml").read_text(encoding="utf-8"))["names"]
    class_names = list(names.values()) if isinstance(names, dict) else list(names)
    items = []
    for image in list_images(root / "images" / SUBSET):
        width, height = image_size(image)
        item = ImageLabels(str(image), width, height, [])
        label_file = root / "labels" / SUBSET / f"{image.stem}.txt"
        lines = label_file.read_text(encoding="utf-8").splitlines() if label_file.is_file() else []
        item.regions.extend(_region(line.split(), item, class_names) for line in lines if line.strip())
        items.append(item)
    return items


def _region(fields: list[str], item: ImageLabels, class_names: list[str]) -> Region:
    name, values = class_names[int(fields[0])], [float(v) for v in fields[1:]]
    if len(values) == 4:
        cx, cy, bw, bh = values
        x0, x1 = (round((cx + s * bw / 2) * item.width) for s in (-1, 1))
        y0, y1 = (round((cy + s * bh / 2) * item.height) for s in (-1, 1))
        return Region.from_box((x0, y0, x1, y1), item.size, name)
    polygon = [(x * item.width, y * item.height) for x, y in zip(values[0::2], values[1::2], strict=True)]
    return Region.from_polygon(polygon, [], item.size, name)

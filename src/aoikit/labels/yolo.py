"""YOLO (Ultralytics) label files: ``detect/`` boxes and ``segment/`` polygons, each with a ``data.yaml``.

A line is ``class cx cy w h`` (detect) or ``class x1 y1 x2 y2 ...`` (segment), all normalised by the
image size. Polygons carry no holes in this format, so holes are left out. Label files are named by
:func:`~aoikit.data.naming.unique_stems`; put (or link) the images in ``images/`` beside
``labels/`` under the same stems to train on them.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import yaml

from aoikit.data.naming import unique_stems
from aoikit.labels.image_labels import ImageLabels, check_classes
from aoikit.labels.regions import Region

Task = Literal["detect", "segment"]
TASKS: tuple[Task, ...] = ("detect", "segment")


def write_yolo(labels: list[ImageLabels], out_dir: Path, class_names: list[str]) -> list[Path]:
    """Write ``out_dir/{detect,segment}/labels/<stem>.txt`` (empty for images without regions) and data.yaml."""
    check_classes(labels, class_names)
    written = []
    for task in TASKS:
        root = out_dir / task
        (root / "labels").mkdir(parents=True, exist_ok=True)
        for item, stem in zip(labels, unique_stems([item.image_path for item in labels]), strict=True):
            path = root / "labels" / f"{stem}.txt"
            path.write_text("".join(_line(r, item, class_names, task) + "\n" for r in item.regions), encoding="utf-8")
            written.append(path)
        data = {"path": str(root.resolve()), "train": "images", "val": "images", "names": dict(enumerate(class_names))}
        written.append(root / "data.yaml")
        written[-1].write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return written


def _line(region: Region, item: ImageLabels, class_names: list[str], task: Task) -> str:
    w, h = item.width, item.height
    if task == "detect":
        x0, y0, x1, y1 = region.box
        values = [(x0 + x1) / 2 / w, (y0 + y1) / 2 / h, (x1 - x0) / w, (y1 - y0) / h]
    else:
        values = [v for x, y in region.polygon for v in (x / w, y / h)]
    return " ".join([str(class_names.index(region.class_name)), *(f"{v:.6f}" for v in values)])


def read_yolo(root: Path, sizes: Mapping[str, tuple[int, int]], class_names: list[str]) -> list[ImageLabels]:
    """Read ``root/labels/*.txt`` of one task folder back into pixel units.

    Args:
        root: the ``detect`` or ``segment`` folder written by :func:`write_yolo`.
        sizes: image path → ``(width, height)``, in the order the labels were written (stems are
            rebuilt from these paths); the format stores neither.
        class_names: names by class index (``data.yaml``'s ``names``).
    """
    items = [ImageLabels(path, w, h, []) for path, (w, h) in sizes.items()]
    for item, stem in zip(items, unique_stems(list(sizes)), strict=True):
        for line in (root / "labels" / f"{stem}.txt").read_text(encoding="utf-8").splitlines():
            cls, *values = line.split()
            name = class_names[int(cls)]
            if len(values) == 4:
                cx, cy, bw, bh = (float(v) for v in values)
                x0, x1 = (round((cx + s * bw / 2) * item.width) for s in (-1, 1))
                y0, y1 = (round((cy + s * bh / 2) * item.height) for s in (-1, 1))
                item.regions.append(Region.from_box((x0, y0, x1, y1), item.size, name))
            else:
                xs, ys = values[0::2], values[1::2]
                polygon = [(float(x) * item.width, float(y) * item.height) for x, y in zip(xs, ys, strict=True)]
                item.regions.append(Region.from_polygon(polygon, [], item.size, name))
    return items

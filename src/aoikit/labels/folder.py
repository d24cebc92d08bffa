"""The plain folder layout aoikit trains on: ``good/``, ``defect/<class>/`` and ``masks/<class>/``.

An image without regions goes to ``good/``; an image with regions to ``defect/<class>/`` with a 0/255 PNG mask
of all its regions in ``masks/<class>/``. The layout names one type per image: the class of its largest region.
"""

from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

from aoikit.errors import DataError
from aoikit.labels.dataset_images import copy_images
from aoikit.labels.image_labels import ImageLabels, check_classes

GOOD, DEFECT, MASKS = "good", "defect", "masks"


def region_mask(item: ImageLabels) -> np.ndarray:
    """A bool mask of the image's size, true inside any of its regions."""
    mask = np.zeros((item.height, item.width), bool)
    for region in item.regions:
        x0, y0, x1, y1 = region.box
        mask[y0:y1, x0:x1] |= region.mask
    return mask


def write_folder(labels: list[ImageLabels], out_dir: Path, class_names: list[str]) -> list[Path]:
    """Copy each image to ``good/`` or ``defect/<class>/`` and write its mask to ``masks/<class>/<stem>.png``.

    Returns:
        The masks, then the image copies.
    """
    check_classes(labels, class_names)
    groups: dict[str, list[ImageLabels]] = defaultdict(list)
    for item in labels:
        kind = max(item.regions, key=lambda r: r.area).class_name if item.regions else ""
        groups[kind].append(item)
    masks, copies = [], []
    for kind, items in sorted(groups.items()):
        folder = out_dir / GOOD if not kind else out_dir / DEFECT / kind
        copied = copy_images(items, folder)
        copies += copied
        if not kind:
            continue
        (out_dir / MASKS / kind).mkdir(parents=True, exist_ok=True)
        for item, copy in zip(items, copied, strict=True):
            path = out_dir / MASKS / kind / f"{copy.stem}.png"
            if not cv2.imwrite(str(path), region_mask(item).astype(np.uint8) * 255):
                raise DataError(path, "cannot write the mask")
            masks.append(path)
    return [*masks, *copies]

"""Pascal VOC XML, one file per image, boxes only.

VOC numbers pixels from 1 and includes both ends: a region over pixels ``x0 .. x1 - 1`` (0-based)
is written ``xmin = x0 + 1, xmax = x1``, as the VOC devkit does and detectron2 reads back.
"""

import xml.etree.ElementTree as ET
from pathlib import Path

from aoikit.data.naming import unique_stems
from aoikit.labels.image_labels import ImageLabels, check_classes
from aoikit.labels.regions import Region

_CORNERS = ("xmin", "ymin", "xmax", "ymax")
_OBJECT_TAGS = ("name", "pose", "truncated", "difficult")


def write_voc(labels: list[ImageLabels], out_dir: Path, class_names: list[str]) -> list[Path]:
    """Write ``out_dir/<stem>.xml`` for every image, also those without regions."""
    check_classes(labels, class_names)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for item, stem in zip(labels, unique_stems([item.image_path for item in labels]), strict=True):
        root = ET.Element("annotation")
        _sub(root, "folder", Path(item.image_path).parent.name)
        _sub(root, "filename", Path(item.image_path).name)
        _sub(root, "path", item.image_path)
        size = _sub(root, "size")
        for tag, value in (("width", item.width), ("height", item.height), ("depth", 1)):
            _sub(size, tag, str(value))
        _sub(root, "segmented", "0")
        for region in item.regions:
            obj = _sub(root, "object")
            for tag, text in zip(_OBJECT_TAGS, (region.class_name, "Unspecified", "0", "0"), strict=True):
                _sub(obj, tag, text)
            box = _sub(obj, "bndbox")
            x0, y0, x1, y1 = region.box
            for tag, value in zip(_CORNERS, (x0 + 1, y0 + 1, x1, y1), strict=True):
                _sub(box, tag, str(value))
        ET.indent(root)
        path = out_dir / f"{stem}.xml"
        ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
        written.append(path)
    return written


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    child = ET.SubElement(parent, tag)
    child.text = text
    return child


def read_voc(paths: list[Path]) -> list[ImageLabels]:
    """Read VOC XML files back; boxes become 0-based with exclusive ``x1, y1``."""
    items = []
    for path in paths:
        root = ET.parse(path).getroot()
        size = (int(root.findtext("size/width", "0")), int(root.findtext("size/height", "0")))
        image = root.findtext("path") or root.findtext("filename") or ""
        regions = []
        for obj in root.iter("object"):
            xmin, ymin, xmax, ymax = (round(float(obj.findtext(f"bndbox/{t}", "0"))) for t in _CORNERS)
            regions.append(Region.from_box((xmin - 1, ymin - 1, xmax, ymax), size, obj.findtext("name", "")))
        items.append(ImageLabels(image, size[0], size[1], regions))
    return items

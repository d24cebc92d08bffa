"""Pascal VOC detection dataset: ``Annotations/``, ``ImageSets/Main/``, ``JPEGImages/`` and ``labelmap.txt``.

One XML per image, boxes only. VOC numbers pixels from 1 and includes both ends: a region over pixels
``x0 .. x1 - 1`` (0-based) is written ``xmin = x0 + 1, xmax = x1``, as the VOC devkit does and
detectron2 reads back; datumaro reads it so with ``coordinate_mode="voc-one-based"``. The subset is
``default`` (``ImageSets/Main/default.txt``); ``labelmap.txt`` declares the classes in datumaro's
``name:color:parts:actions`` form, ``background`` first.
"""

import xml.etree.ElementTree as ET
from pathlib import Path

from aoikit.labels.dataset_images import copy_images, image_depth
from aoikit.labels.image_labels import ImageLabels, check_classes
from aoikit.labels.regions import Region

ANNOTATIONS, IMAGE_SETS, IMAGES, LABELMAP = "Annotations", "ImageSets/Main/default.txt", "JPEGImages", "labelmap.txt"
_CORNERS = ("xmin", "ymin", "xmax", "ymax")
_OBJECT_TAGS = ("name", "pose", "truncated", "difficult")


def write_voc(labels: list[ImageLabels], out_dir: Path, class_names: list[str]) -> list[Path]:
    """Write one ``Annotations/<stem>.xml`` per image (also without regions), the image set and label map.

    The images are copied to ``JPEGImages/`` under their own suffix (PNG or TIFF too, as datumaro reads).

    Returns:
        The XML files, the image set, the label map, then the image copies.
    """
    check_classes(labels, class_names)
    copies = copy_images(labels, out_dir / IMAGES)
    (out_dir / ANNOTATIONS).mkdir(parents=True, exist_ok=True)
    written = []
    for item, copy in zip(labels, copies, strict=True):
        root = ET.Element("annotation")
        _sub(root, "folder", IMAGES)
        _sub(root, "filename", copy.name)
        size = _sub(root, "size")
        for tag, value in (("width", item.width), ("height", item.height), ("depth", image_depth(copy))):
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
        path = out_dir / ANNOTATIONS / f"{copy.stem}.xml"
        ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
        written.append(path)
    image_set = out_dir / IMAGE_SETS
    image_set.parent.mkdir(parents=True, exist_ok=True)
    image_set.write_text("".join(f"{copy.stem}\n" for copy in copies), encoding="utf-8")
    labelmap = out_dir / LABELMAP
    lines = ["# label:color_rgb:parts:actions", "background:::", *(f"{name}:::" for name in class_names)]
    labelmap.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [*written, image_set, labelmap, *copies]


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    child = ET.SubElement(parent, tag)
    child.text = text
    return child


def read_voc(paths: list[Path]) -> list[ImageLabels]:
    """Read VOC XML files back; boxes become 0-based with exclusive ``x1, y1``.

    ``image_path`` is the ``filename`` in the dataset's ``JPEGImages/`` (beside ``Annotations/``).
    """
    items = []
    for path in paths:
        root = ET.parse(path).getroot()
        size = (int(root.findtext("size/width", "0")), int(root.findtext("size/height", "0")))
        image = str(Path(path).parent.parent / IMAGES / root.findtext("filename", ""))
        regions = []
        for obj in root.iter("object"):
            xmin, ymin, xmax, ymax = (round(float(obj.findtext(f"bndbox/{t}", "0"))) for t in _CORNERS)
            regions.append(Region.from_box((xmin - 1, ymin - 1, xmax, ymax), size, obj.findtext("name", "")))
        items.append(ImageLabels(image, size[0], size[1], regions))
    return items

"""CVAT for images 1.1: ``annotations.xml`` with an ``<image>`` per image, and the images in ``images/``.

This is the layout of CVAT's own export, which CVAT and datumaro import; ``name`` is the image's
file name inside ``images/``.

Each region is a ``<box>`` (xtl, ytl, xbr, ybr) and a ``<polygon>`` (points ``"x,y;x,y"``) sharing a
``group_id``; both carry label, source, occluded and z_order as in the published format. Coordinates
are pixel edges, as CVAT's. CVAT polygons cannot hold holes, so the outer outline is written. Scores
are left out: CVAT accepts only attributes declared in the task.
"""

import xml.etree.ElementTree as ET
from pathlib import Path

from aoikit.labels.dataset_images import copy_images
from aoikit.labels.image_labels import ImageLabels, check_classes
from aoikit.labels.regions import Region

_CORNERS = ("xtl", "ytl", "xbr", "ybr")
IMAGES = "images"


def write_cvat(labels: list[ImageLabels], out_dir: Path, class_names: list[str]) -> list[Path]:
    """Write ``out_dir/annotations.xml`` with the label list in ``<meta>``, and copy the images to ``images/``.

    Returns:
        The XML file, then the image copies.
    """
    check_classes(labels, class_names)
    copies = copy_images(labels, out_dir / IMAGES)
    root = ET.Element("annotations")
    ET.SubElement(root, "version").text = "1.1"
    task = ET.SubElement(ET.SubElement(root, "meta"), "task")
    ET.SubElement(task, "size").text = str(len(labels))
    ET.SubElement(task, "mode").text = "annotation"
    label_list = ET.SubElement(task, "labels")
    for name in class_names:
        label = ET.SubElement(label_list, "label")
        ET.SubElement(label, "name").text = name
        ET.SubElement(label, "type").text = "any"
        ET.SubElement(label, "attributes")
    for image_id, (item, copy) in enumerate(zip(labels, copies, strict=True)):
        attrs = {"id": image_id, "name": copy.name, "width": item.width, "height": item.height}
        image = ET.SubElement(root, "image", {k: str(v) for k, v in attrs.items()})
        for group_id, region in enumerate(item.regions, start=1):
            common = {"label": region.class_name, "source": "auto", "occluded": "0", "z_order": "0"}
            common["group_id"] = str(group_id)
            corners = dict(zip(_CORNERS, (_num(v) for v in region.box), strict=True))
            ET.SubElement(image, "box", {**common, **corners})
            points = ";".join(f"{_num(x)},{_num(y)}" for x, y in region.polygon)
            ET.SubElement(image, "polygon", {**common, "points": points})
    ET.indent(root)
    path = out_dir / "annotations.xml"
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return [path, *copies]


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def read_cvat(path: Path) -> list[ImageLabels]:
    """Read ``annotations.xml`` back; a ``<polygon>`` wins over a ``<box>`` of the same group.

    ``image_path`` is ``name`` inside the ``images/`` folder beside the XML file.
    """
    items = []
    for image in ET.parse(path).getroot().iter("image"):
        size = (int(image.get("width", "0")), int(image.get("height", "0")))
        groups: dict[str, ET.Element] = {}
        for i, shape in enumerate(image):
            key = shape.get("group_id", "0") if shape.get("group_id", "0") != "0" else f"shape{i}"
            if shape.tag == "polygon" or key not in groups:
                groups[key] = shape
        regions = [_region(shape, size) for shape in groups.values() if shape.tag in ("box", "polygon")]
        items.append(ImageLabels(str(Path(path).parent / IMAGES / image.get("name", "")), size[0], size[1], regions))
    return items


def _region(shape: ET.Element, size: tuple[int, int]) -> Region:
    label = shape.get("label", "")
    if shape.tag == "box":
        x0, y0, x1, y1 = (round(float(shape.get(k, "0"))) for k in _CORNERS)
        return Region.from_box((x0, y0, x1, y1), size, label)
    points = [(float(x), float(y)) for x, y in (p.split(",") for p in shape.get("points", "").split(";"))]
    return Region.from_polygon(points, [], size, label)

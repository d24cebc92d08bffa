"""Pascal VOC XML round trip (boxes only)."""

import xml.etree.ElementTree as ET
from pathlib import Path

from aoikit.labels import ImageLabels, read_voc, write_voc


def test_round_trip_with_one_based_inclusive_boxes(
    tmp_path: Path, sample: list[ImageLabels], class_names: list[str]
) -> None:
    paths = write_voc(sample, tmp_path, class_names)
    assert [p.name for p in paths] == ["crack_000.xml", "good_000.xml"]
    root = ET.parse(paths[0]).getroot()
    assert root.findtext("filename") == "000.png"
    assert (root.findtext("size/width"), root.findtext("size/height")) == ("128", "96")
    first = root.find("object/bndbox")
    assert first is not None
    assert [first.findtext(t) for t in ("xmin", "ymin", "xmax", "ymax")] == ["9", "11", "30", "24"]
    read = read_voc(paths)
    assert [item.image_path for item in read] == [item.image_path for item in sample]
    assert [[(r.box, r.class_name) for r in item.regions] for item in read] == [
        [(r.box, r.class_name) for r in item.regions] for item in sample
    ]
    assert all(r.mask.all() for r in read[0].regions)

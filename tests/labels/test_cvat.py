"""CVAT for images 1.1 XML round trip."""

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from aoikit.labels import ImageLabels, read_cvat, write_cvat


def test_round_trip_follows_the_spec(
    tmp_path: Path, sample: list[ImageLabels], class_names: list[str], check_round_trip: Callable[..., None]
) -> None:
    (path,) = write_cvat(sample, tmp_path, class_names)
    root = ET.parse(path).getroot()
    assert root.tag == "annotations"
    assert root.findtext("version") == "1.1"
    assert [e.text for e in root.iterfind("meta/task/labels/label/name")] == class_names
    images = root.findall("image")
    assert [(i.get("id"), i.get("name"), i.get("width"), i.get("height")) for i in images] == [
        ("0", "data/crack/000.png", "128", "96"),
        ("1", "data/good/000.png", "128", "96"),
    ]
    box, polygon = images[0][0], images[0][1]
    assert (box.tag, polygon.tag) == ("box", "polygon")
    assert {k: box.get(k) for k in ("label", "occluded", "z_order", "xtl", "ytl", "xbr", "ybr")} == {
        "label": "scratch",
        "occluded": "0",
        "z_order": "0",
        "xtl": "8",
        "ytl": "10",
        "xbr": "30",
        "ybr": "24",
    }
    assert polygon.get("points") == "8,10;8,24;30,24;30,10"
    check_round_trip(sample, read_cvat(path), holes=False)


def test_ungrouped_box_and_polygon_are_two_regions(tmp_path: Path) -> None:
    path = tmp_path / "annotations.xml"
    path.write_text(
        '<annotations><version>1.1</version><image id="0" name="a.png" width="20" height="10">'
        '<box label="a" occluded="0" xtl="1.2" ytl="2" xbr="5" ybr="6.9" z_order="0"/>'
        '<polygon label="b" occluded="0" points="10,1;18,1;18,9;10,9" z_order="0"/></image></annotations>'
    )
    regions = read_cvat(path)[0].regions
    assert [(r.class_name, r.box, r.area) for r in regions] == [("a", (1, 2, 5, 7), 20), ("b", (10, 1, 18, 9), 64)]

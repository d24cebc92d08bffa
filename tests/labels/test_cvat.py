"""CVAT for images 1.1 datasets round trip through our reader and datumaro (which CVAT imports with)."""

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from aoikit.labels import ImageLabels, read_cvat, write_cvat

pytestmark = pytest.mark.filterwarnings("ignore:FormatDetectionConfidence:DeprecationWarning")


def test_round_trip_follows_the_spec(
    tmp_path: Path, sample: list[ImageLabels], class_names: list[str], check_round_trip: Callable[..., None]
) -> None:
    path, *copies = write_cvat(sample, tmp_path, class_names)
    assert [p.relative_to(tmp_path).as_posix() for p in (path, *copies)] == [
        "annotations.xml",
        "images/crack_000.png",
        "images/good_000.tif",
    ]
    root = ET.parse(path).getroot()
    assert root.tag == "annotations"
    assert root.findtext("version") == "1.1"
    assert [e.text for e in root.iterfind("meta/task/labels/label/name")] == class_names
    images = root.findall("image")
    assert [(i.get("id"), i.get("name"), i.get("width"), i.get("height")) for i in images] == [
        ("0", "crack_000.png", "128", "96"),
        ("1", "good_000.tif", "128", "96"),
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
    read = read_cvat(path)
    assert [item.image_path for item in read] == [str(p) for p in copies]
    check_round_trip(sample, read, holes=False)


def test_datumaro_imports_the_folder(
    tmp_path: Path,
    sample: list[ImageLabels],
    class_names: list[str],
    datumaro: ModuleType,
    check_datumaro: Callable[..., None],
) -> None:
    write_cvat(sample, tmp_path / "cvat", class_names)
    moved = tmp_path / "moved"
    (tmp_path / "cvat").rename(moved)
    assert datumaro.Dataset.detect(str(moved)) == "cvat"
    dataset = datumaro.Dataset.import_from(str(moved), "cvat")
    check_datumaro(dataset, moved, sample, ["bbox", "polygon"])
    groups = [{a.group for a in item.annotations if a.type.name in ("bbox", "polygon")} for item in dataset]
    assert sorted(map(len, groups)) == [0, 3]  # a box and its polygon share a group


def test_ungrouped_box_and_polygon_are_two_regions(tmp_path: Path) -> None:
    path = tmp_path / "annotations.xml"
    path.write_text(
        '<annotations><version>1.1</version><image id="0" name="a.png" width="20" height="10">'
        '<box label="a" occluded="0" xtl="1.2" ytl="2" xbr="5" ybr="6.9" z_order="0"/>'
        '<polygon label="b" occluded="0" points="10,1;18,1;18,9;10,9" z_order="0"/></image></annotations>'
    )
    regions = read_cvat(path)[0].regions
    assert [(r.class_name, r.box, r.area) for r in regions] == [("a", (1, 2, 5, 7), 20), ("b", (10, 1, 18, 9), 64)]

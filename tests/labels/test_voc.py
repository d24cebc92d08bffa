"""Pascal VOC datasets (boxes only) round trip through our reader and datumaro."""

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from aoikit.labels import ImageLabels, read_voc, write_voc

pytestmark = pytest.mark.filterwarnings("ignore:FormatDetectionConfidence:DeprecationWarning")


def test_round_trip_with_one_based_inclusive_boxes(
    tmp_path: Path, sample: list[ImageLabels], class_names: list[str]
) -> None:
    written = write_voc(sample, tmp_path, class_names)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        "Annotations/crack_000.xml",
        "Annotations/good_000.xml",
        "ImageSets/Main/default.txt",
        "labelmap.txt",
        "JPEGImages/crack_000.png",
        "JPEGImages/good_000.tif",
    ]
    assert (tmp_path / "ImageSets/Main/default.txt").read_text() == "crack_000\ngood_000\n"
    assert (tmp_path / "labelmap.txt").read_text().splitlines()[1:] == ["background:::", "anomaly:::", "scratch:::"]
    root = ET.parse(written[0]).getroot()
    assert (root.findtext("folder"), root.findtext("filename"), root.find("path")) == (
        "JPEGImages",
        "crack_000.png",
        None,
    )
    assert [root.findtext(f"size/{t}") for t in ("width", "height", "depth")] == ["128", "96", "1"]
    first = root.find("object/bndbox")
    assert first is not None
    assert [first.findtext(t) for t in ("xmin", "ymin", "xmax", "ymax")] == ["9", "11", "30", "24"]
    read = read_voc(written[:2])
    assert [item.image_path for item in read] == [str(p) for p in written[-2:]]
    assert [[(r.box, r.class_name) for r in item.regions] for item in read] == [
        [(r.box, r.class_name) for r in item.regions] for item in sample
    ]
    assert all(r.mask.all() for r in read[0].regions)


def test_datumaro_imports_the_folder(
    tmp_path: Path,
    sample: list[ImageLabels],
    class_names: list[str],
    datumaro: ModuleType,
    check_datumaro: Callable[..., None],
) -> None:
    write_voc(sample, tmp_path / "voc", class_names)
    moved = tmp_path / "moved"
    (tmp_path / "voc").rename(moved)
    assert "voc_detection" in datumaro.Environment().detect_dataset(str(moved))
    dataset = datumaro.Dataset.import_from(str(moved), "voc_detection", coordinate_mode="voc-one-based")
    check_datumaro(dataset, moved, sample, ["bbox"])

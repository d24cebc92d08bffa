"""prelabel() with a stand-in detector whose maps hold known blobs."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aoikit.errors import AoikitError
from aoikit.folder_lock import lock_folder
from aoikit.labels import WRITERS, RegionConfig, prelabel, read_coco
from aoikit.labels.coco import ANNOTATIONS


class BlobDetector:
    """Gives every image the same map: two blobs above ``threshold_``."""

    threshold_ = 0.5

    def anomaly_map(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        amap = np.zeros(image.shape, dtype=np.float32)
        amap[4:14, 6:20] = 0.8
        amap[30:40, 30:44] = 0.9
        return amap, image


def images(root: Path) -> list[Path]:
    paths = [root / "crack" / "000.png", root / "good" / "000.png"]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((48, 64), 128, dtype=np.uint8)).save(path)
    return paths


def test_writes_every_format_and_overlays(tmp_path: Path) -> None:
    out = tmp_path / "out"
    written = prelabel(BlobDetector(), images(tmp_path / "in"), out, list(WRITERS), class_name="crack")
    assert set(written) == {*WRITERS, "overlays"}
    assert all(p.is_file() for paths in written.values() for p in paths)
    assert [p.name for p in written["overlays"]] == ["crack_000.png", "good_000.png"]
    assert np.asarray(Image.open(written["overlays"][0])).shape == (48, 64, 3)
    read = read_coco(out / "coco" / ANNOTATIONS)
    assert [[(r.box, r.class_name) for r in item.regions] for item in read] == [
        [((30, 30, 44, 40), "crack"), ((6, 4, 20, 14), "crack")]
    ] * 2
    assert [item.image_path for item in read] == [
        str(out / "coco" / "images" / f"{s}_000.png") for s in ("crack", "good")
    ]
    for name in WRITERS:  # each format folder holds its images and points nowhere outside it
        folder = out / name
        text = "".join(p.read_text() for p in folder.rglob("*") if p.suffix in (".json", ".xml", ".txt", ".yaml"))
        assert str(tmp_path) not in text and "../" not in text, name


def test_config_overrides_the_detector_threshold(tmp_path: Path) -> None:
    config = RegionConfig(threshold=0.85)
    prelabel(BlobDetector(), images(tmp_path / "in"), tmp_path / "out", ["coco"], config=config)
    read = read_coco(tmp_path / "out" / "coco" / ANNOTATIONS)
    assert [len(item.regions) for item in read] == [1, 1]


def test_unknown_format_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(AoikitError, match="known formats: yolo, voc, coco"):
        prelabel(BlobDetector(), [], tmp_path, ["coco", "pascal"])


def test_uncalibrated_detector_needs_a_config(tmp_path: Path) -> None:
    class Uncalibrated:
        def anomaly_map(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return image, image

    with pytest.raises(AoikitError, match="threshold_"):
        prelabel(Uncalibrated(), [], tmp_path, ["coco"])


def test_a_second_run_replaces_the_folder_whole_only_when_told(tmp_path: Path) -> None:
    out, paths = tmp_path / "out", images(tmp_path / "in")
    prelabel(BlobDetector(), paths, out, ["coco", "voc"])
    (out / "review.json").write_text("{}")
    with pytest.raises(AoikitError, match=r"not empty.*--replace"):
        prelabel(BlobDetector(), paths, out, ["coco"])
    assert (out / "review.json").exists() and (out / "voc").is_dir()
    written = prelabel(BlobDetector(), paths, out, ["coco"], replace=True)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["coco", "overlays"]
    assert written["coco"] == [
        out / "coco" / ANNOTATIONS,
        *(out / "coco" / "images" / f"{s}_000.png" for s in ("crack", "good")),
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"], "the old folder was left beside it"


def test_a_failed_run_puts_the_old_folder_back(tmp_path: Path) -> None:
    class Failing(BlobDetector):
        def anomaly_map(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            raise RuntimeError("out of memory")

    out, paths = tmp_path / "out", images(tmp_path / "in")
    prelabel(BlobDetector(), paths, out, ["coco"])
    (out / "review.json").write_text('{"reviewed": true}')
    with pytest.raises(RuntimeError, match="out of memory"):
        prelabel(Failing(), paths, out, ["coco"], replace=True)
    assert (out / "review.json").read_text() == '{"reviewed": true}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def test_a_folder_under_review_is_not_replaced(tmp_path: Path) -> None:
    out, paths = tmp_path / "out", images(tmp_path / "in")
    prelabel(BlobDetector(), paths, out, ["coco"])
    (out / "review.json").write_text("{}")
    with lock_folder(out, "aoikit review"), pytest.raises(AoikitError, match="in use by aoikit review"):
        prelabel(BlobDetector(), paths, out, ["coco"], replace=True)
    assert (out / "review.json").exists()


def test_images_inside_the_output_are_refused(tmp_path: Path) -> None:
    paths = images(tmp_path / "out" / "overlays")
    with pytest.raises(AoikitError, match="inside the output folder"):
        prelabel(BlobDetector(), paths, tmp_path / "out", ["coco"], replace=True)
    assert all(p.is_file() for p in paths)

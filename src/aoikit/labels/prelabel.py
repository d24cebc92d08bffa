"""Pre-labelling: run a detector over images, write label files people only correct, and overlays."""

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from functools import partial
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from tqdm import tqdm

from aoikit.data.image_io import IMAGE_EXTENSIONS, read_gray
from aoikit.data.naming import unique_stems
from aoikit.errors import AoikitError, DataError
from aoikit.folder_lock import lock_folder
from aoikit.labels.coco import write_coco
from aoikit.labels.cvat import write_cvat
from aoikit.labels.folder import write_folder
from aoikit.labels.image_labels import ImageLabels
from aoikit.labels.labelme import write_labelme
from aoikit.labels.labelstudio import write_labelstudio
from aoikit.labels.regions import RegionConfig, extract_regions
from aoikit.labels.voc import write_voc
from aoikit.labels.yolo import write_yolo
from aoikit.viz import overlay

Writer = Callable[[list[ImageLabels], Path, list[str]], list[Path]]
WRITERS: dict[str, Writer] = {
    "yolo": write_yolo,
    "voc": write_voc,
    "coco": write_coco,
    "coco_rle": partial(write_coco, rle=True),
    "labelme": write_labelme,
    "cvat": write_cvat,
    "labelstudio": write_labelstudio,
    "folder": write_folder,
}
_BOX_BGR = (0, 220, 255)
OVERLAYS = "overlays"


class MapDetector(Protocol):
    """What pre-labelling needs of a detector (``aoikit.detector.Detector`` has it once calibrated)."""

    threshold_: float

    def anomaly_map(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Full-size anomaly map and reconstruction of ``image``."""
        ...


def prelabel(
    detector: MapDetector,
    image_paths: list[Path],
    out_dir: Path,
    formats: list[str],
    config: RegionConfig | None = None,
    class_name: str = "anomaly",
    replace: bool = False,
) -> dict[str, list[Path]]:
    """Write the regions the detector finds in each image as labels in ``out_dir/<format>/``.

    Each format folder is a dataset in its tool's own layout holding copies of the images, with
    relative paths only, so it can be zipped or moved on its own. ``out_dir`` is made anew (see
    :func:`fresh_folder`), so it never mixes the files of two runs.

    Args:
        detector: gives the anomaly maps; its calibrated ``threshold_`` is the default threshold.
        image_paths: images to label.
        out_dir: output folder; overlays (image, regions tinted, boxes and scores) go to ``overlays/``.
        formats: names from ``WRITERS``.
        config: region settings; default ``RegionConfig(threshold=detector.threshold_)``.
        class_name: label of every region.
        replace: replace a pre-label ``out_dir`` that is not empty (see :func:`check_out_dir`).

    Returns:
        The files written (labels and image copies), by format name, plus ``"overlays"``.

    Raises:
        AoikitError: a format name is unknown, no threshold is given and the detector has none, ``out_dir``
            may not be written (see :func:`check_out_dir`) or holds an image to label.
    """
    unknown = [name for name in formats if name not in WRITERS]
    if unknown:
        raise AoikitError(f"unknown label format {', '.join(unknown)}; known formats: {', '.join(WRITERS)}")
    if config is None:
        if getattr(detector, "threshold_", None) is None:
            raise AoikitError("the detector has no calibrated threshold_: calibrate it or pass a RegionConfig")
        config = RegionConfig(threshold=detector.threshold_)
    out_dir = Path(os.path.abspath(out_dir))  # a name to move aside, even for "."
    check_out_dir(out_dir, replace)
    inside = [path for path in image_paths if path.resolve().is_relative_to(out_dir.resolve())]
    if inside:
        raise AoikitError(f"{inside[0]}: an image to label is inside the output folder {out_dir}")
    with fresh_folder(out_dir):
        labels, overlays = [], []
        stems = unique_stems(image_paths)
        for path, stem in tqdm(list(zip(image_paths, stems, strict=True)), desc="pre-labelling", unit="image"):
            image = read_gray(path)
            anomaly_map, _ = detector.anomaly_map(image)
            regions = extract_regions(anomaly_map, config, class_name)
            item = ImageLabels(str(path), image.shape[1], image.shape[0], regions)
            labels.append(item)
            overlays.append(save_overlay(out_dir / OVERLAYS / f"{stem}.png", image, item))
        written = {name: WRITERS[name](labels, out_dir / name, [class_name]) for name in formats}
    return {**written, OVERLAYS: overlays}


def prelabel_images(images_dir: Path, out_dir: Path, replace: bool = False) -> list[Path]:
    """The images under ``images_dir`` (recursively, sorted), once both folders are checked for a pre-label run.

    Raises:
        DataError: ``images_dir`` does not exist, is not a folder or has no images.
        AoikitError: ``out_dir`` is inside ``images_dir`` (its overlays would be labelled next time), or
            may not be written (see :func:`check_out_dir`).
    """
    if not images_dir.exists():
        raise DataError(images_dir, "the images folder does not exist")
    if not images_dir.is_dir():
        raise DataError(images_dir, "the images folder is a file, not a folder")
    if out_dir.resolve().is_relative_to(images_dir.resolve()):
        raise AoikitError(f"{out_dir}: the output folder is inside the images folder {images_dir}; pick one outside")
    check_out_dir(out_dir, replace)
    paths = sorted(p for p in images_dir.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
    if not paths:
        raise DataError(images_dir, f"no images found ({', '.join(sorted(IMAGE_EXTENSIONS))})")
    return paths


def check_out_dir(out_dir: Path, replace: bool) -> None:
    """Pass if ``out_dir`` is absent or empty, or ``replace`` is set and it is a pre-label folder (has overlays/).

    Raises:
        AoikitError: ``out_dir`` is a file, or is not empty and not to be replaced (or not a pre-label folder).
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise AoikitError(f"{out_dir}: the output folder is a file")
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return
    if not replace:
        raise AoikitError(f"{out_dir}: output folder not empty; pick an empty one, or replace it whole with --replace")
    if not (out_dir / OVERLAYS).is_dir():
        raise AoikitError(f"{out_dir}: not a pre-label folder (no {OVERLAYS}/ in it); refusing to replace it")


@contextmanager
def fresh_folder(out_dir: Path) -> Iterator[None]:
    """Make ``out_dir`` a new, empty folder for the block; an old one is moved aside meanwhile.

    The old folder is removed when the block ends without error, else it is put back (an empty one if
    there was none). Both are locked meanwhile (see :mod:`aoikit.folder_lock`): an old one under review
    is refused, and no review starts on a half-written one.
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    old_dir = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old", dir=out_dir.parent))
    with lock_folder(out_dir, "aoikit prelabel") if out_dir.is_dir() else nullcontext():
        if out_dir.is_dir():
            out_dir.rename(old_dir)
        try:
            out_dir.mkdir()
            with lock_folder(out_dir, "aoikit prelabel"):
                yield
        except BaseException:
            shutil.rmtree(out_dir, ignore_errors=True)
            old_dir.rename(out_dir)
            raise
    shutil.rmtree(old_dir)


def save_overlay(path: Path, image: np.ndarray, item: ImageLabels) -> Path:
    """PNG of ``image`` with the regions tinted, boxed and marked with their ``score_max``."""
    mask = np.zeros(image.shape, dtype=bool)
    for region in item.regions:
        mask |= region.paste(item.height, item.width)
    bgr = np.ascontiguousarray((overlay(image, mask) * 255).round().astype(np.uint8)[..., ::-1])
    for region in item.regions:
        x0, y0, x1, y1 = region.box
        cv2.rectangle(bgr, (x0, y0), (x1 - 1, y1 - 1), _BOX_BGR, 1)
        text_at = (x0, y0 - 3 if y0 >= 12 else y1 + 10)
        cv2.putText(bgr, f"{region.score_max:.3f}", text_at, cv2.FONT_HERSHEY_SIMPLEX, 0.35, _BOX_BGR, 1, cv2.LINE_AA)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), bgr)
    return path

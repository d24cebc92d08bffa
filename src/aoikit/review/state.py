"""The review state: one JSON file in the labels folder, made from the pre-labels, saved atomically.

Every image and region has a status, ``pending``, ``accepted`` or ``rejected``. A region whose box
the reviewer adjusted, or that the reviewer drew, has no outline (``polygon`` is empty): it is a box.
"""

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Literal, TypedDict

from aoikit.errors import AoikitError
from aoikit.labels.coco import ANNOTATIONS, read_coco
from aoikit.labels.image_labels import ImageLabels, read_json, score_of
from aoikit.labels.labelme import read_labelme
from aoikit.labels.prelabel import WRITERS
from aoikit.labels.regions import Region

STATE_FILE = "review.json"
TEMP_PREFIX, TEMP_SUFFIX = ".review-", ".tmp"
STATE_VERSION = 1
Status = Literal["pending", "accepted", "rejected"]
# Pre-label files the state is made from, most faithful first: RLE masks keep holes, COCO keeps image order.
SOURCES = {"coco_rle": f"coco_rle/{ANNOTATIONS}", "coco": f"coco/{ANNOTATIONS}", "labelme": "labelme"}


class RegionRecord(TypedDict):
    """One region: ``box`` is ``[x0, y0, x1, y1]`` (x1, y1 exclusive); ``origin`` is ``prelabel`` or ``user``."""

    id: int
    box: list[int]
    polygon: list[list[float]]
    holes: list[list[list[float]]]
    score: float | None
    class_name: str
    status: Status
    origin: str


class ImageRecord(TypedDict):
    """One image, its size in pixels, its regions and the next free region id."""

    image_path: str
    width: int
    height: int
    status: Status
    next_id: int
    regions: list[RegionRecord]


class ReviewState(TypedDict):
    """The whole review: pre-label formats and classes, the image the reviewer is at, and the images."""

    version: int
    source: str
    formats: list[str]
    class_names: list[str]
    current: int
    images: list[ImageRecord]


def prelabel_formats(labels_dir: Path) -> list[str]:
    """Names of the ``WRITERS`` formats that have a folder in ``labels_dir``."""
    return [name for name in WRITERS if (labels_dir / name).is_dir()]


def init_state(labels_dir: Path) -> ReviewState:
    """A fresh state from the COCO (RLE or polygon) or LabelMe pre-labels in ``labels_dir``, all pending.

    Image paths inside ``labels_dir`` (the copies in the pre-label datasets) are kept relative to it,
    so the folder can be moved between sessions.

    Raises:
        AoikitError: none of these pre-label files is there.
    """
    root = labels_dir.absolute()
    source, labels, class_names = _read_prelabels(root)
    for item in labels:
        if Path(item.image_path).is_relative_to(root):
            item.image_path = Path(item.image_path).relative_to(root).as_posix()
    return {
        "version": STATE_VERSION,
        "source": source,
        "formats": prelabel_formats(labels_dir),
        "class_names": class_names or ["anomaly"],
        "current": 0,
        "images": [_image_record(item) for item in labels],
    }


def _read_prelabels(labels_dir: Path) -> tuple[str, list[ImageLabels], list[str]]:
    """The first of ``SOURCES`` found: its name, labels and class names (by COCO category id, else as met)."""
    for source, rel in SOURCES.items():
        path = labels_dir / rel
        if source != "labelme" and path.is_file():
            categories = sorted(read_json(path)["categories"], key=lambda c: c["id"])
            return source, read_coco(path), [c["name"] for c in categories]
        if source == "labelme" and (files := sorted(path.glob("*.json"))):
            labels = read_labelme(files)
            return source, labels, list(dict.fromkeys(r.class_name for item in labels for r in item.regions))
    wanted = ", ".join(str(labels_dir / rel) for rel in SOURCES.values())
    raise AoikitError(f"{labels_dir}: no pre-labels to review (looked for {wanted})")


def _image_record(item: ImageLabels) -> ImageRecord:
    regions: list[RegionRecord] = [
        {
            "id": i,
            "box": list(region.box),
            "polygon": [list(p) for p in region.polygon],
            "holes": [[list(p) for p in hole] for hole in region.holes],
            "score": score_of(region),
            "class_name": region.class_name,
            "status": "pending",
            "origin": "prelabel",
        }
        for i, region in enumerate(item.regions)
    ]
    return {
        "image_path": item.image_path,
        "width": item.width,
        "height": item.height,
        "status": "pending",
        "next_id": len(regions),
        "regions": regions,
    }


def load_state(labels_dir: Path) -> ReviewState:
    """The saved state of ``labels_dir``, or a fresh one (saved at once) when there is none."""
    path = labels_dir / STATE_FILE
    if path.is_file():
        state: ReviewState = read_json(path)
        if not isinstance(state, dict):
            raise AoikitError(f"{path}: not a review state (a JSON object)")
        if state.get("version") != STATE_VERSION:
            raise AoikitError(f"{path}: review state version {state.get('version')}, expected {STATE_VERSION}")
        return state
    state = init_state(labels_dir)
    save_state(labels_dir, state)
    return state


def save_state(labels_dir: Path, state: ReviewState) -> Path:
    """Write the state to ``labels_dir/review.json`` atomically: temp file, fsync, rename, fsync the folder."""
    path = labels_dir / STATE_FILE
    fd, tmp = tempfile.mkstemp(dir=labels_dir, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(state, f, separators=(",", ":"), allow_nan=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        dir_fd = os.open(labels_dir, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return path


def remove_stale_temps(labels_dir: Path) -> None:
    """Delete the temp files a writer that crashed mid-save left in ``labels_dir``.

    Only the one writer of the folder may call this (see ``aoikit.folder_lock``): another's temp file is live.
    """
    for path in labels_dir.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
        path.unlink(missing_ok=True)


def corrected_labels(state: ReviewState) -> list[ImageLabels]:
    """Labels of the accepted images with their accepted regions; rejected images and regions are left out."""
    labels = []
    for image in state["images"]:
        if image["status"] != "accepted":
            continue
        size = (image["width"], image["height"])
        regions = [_region(r, size) for r in image["regions"] if r["status"] == "accepted"]
        labels.append(ImageLabels(image["image_path"], image["width"], image["height"], regions))
    return labels


def _region(record: RegionRecord, size: tuple[int, int]) -> Region:
    score = math.nan if record["score"] is None else record["score"]
    if not record["polygon"]:
        x0, y0, x1, y1 = record["box"]
        return Region.from_box((x0, y0, x1, y1), size, record["class_name"], score)
    polygon = [(x, y) for x, y in record["polygon"]]
    holes = [[(x, y) for x, y in hole] for hole in record["holes"]]
    return Region.from_polygon(polygon, holes, size, record["class_name"], score)

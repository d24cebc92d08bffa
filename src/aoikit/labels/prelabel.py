"""Pre-labelling: run a detector over images, write label files people only correct, and overlays."""

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from tqdm import tqdm

from aoikit.data.image_io import read_gray
from aoikit.data.naming import unique_stems
from aoikit.errors import AoikitError
from aoikit.labels.coco import write_coco
from aoikit.labels.cvat import write_cvat
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
}
_BOX_BGR = (0, 220, 255)


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
) -> dict[str, list[Path]]:
    """Write the regions the detector finds in each image as labels in ``out_dir/<format>/``.

    Args:
        detector: gives the anomaly maps; its calibrated ``threshold_`` is the default threshold.
        image_paths: images to label.
        out_dir: output folder; overlays (image, regions tinted, boxes and scores) go to ``overlays/``.
        formats: names from ``WRITERS``.
        config: region settings; default ``RegionConfig(threshold=detector.threshold_)``.
        class_name: label of every region.

    Returns:
        The files written, by format name, plus ``"overlays"``.

    Raises:
        AoikitError: a format name is unknown, or no threshold is given and the detector has none.
    """
    unknown = [name for name in formats if name not in WRITERS]
    if unknown:
        raise AoikitError(f"unknown label format {', '.join(unknown)}; known formats: {', '.join(WRITERS)}")
    if config is None:
        if getattr(detector, "threshold_", None) is None:
            raise AoikitError("the detector has no calibrated threshold_: calibrate it or pass a RegionConfig")
        config = RegionConfig(threshold=detector.threshold_)
    labels, overlays = [], []
    stems = unique_stems(image_paths)
    for path, stem in tqdm(list(zip(image_paths, stems, strict=True)), desc="pre-labelling", unit="image"):
        image = read_gray(path)
        anomaly_map, _ = detector.anomaly_map(image)
        item = ImageLabels(str(path), image.shape[1], image.shape[0], extract_regions(anomaly_map, config, class_name))
        labels.append(item)
        overlays.append(save_overlay(out_dir / "overlays" / f"{stem}.png", image, item))
    written = {name: WRITERS[name](labels, out_dir / name, [class_name]) for name in formats}
    return {**written, "overlays": overlays}


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

"""Pre-labelling: anomaly maps → regions → label files in common formats, and their readers."""

from aoikit.labels.coco import read_coco, write_coco
from aoikit.labels.cvat import read_cvat, write_cvat
from aoikit.labels.image_labels import ImageLabels
from aoikit.labels.labelme import read_labelme, write_labelme
from aoikit.labels.labelstudio import read_labelstudio, write_labelstudio
from aoikit.labels.metrics import region_match, summarize
from aoikit.labels.prelabel import WRITERS, prelabel
from aoikit.labels.regions import Region, RegionConfig, clean_mask, extract_regions, map_to_mask
from aoikit.labels.voc import read_voc, write_voc
from aoikit.labels.yolo import read_yolo, write_yolo

__all__ = [
    "WRITERS",
    "ImageLabels",
    "Region",
    "RegionConfig",
    "clean_mask",
    "extract_regions",
    "map_to_mask",
    "prelabel",
    "read_coco",
    "read_cvat",
    "read_labelme",
    "read_labelstudio",
    "read_voc",
    "read_yolo",
    "region_match",
    "summarize",
    "write_coco",
    "write_cvat",
    "write_labelme",
    "write_labelstudio",
    "write_voc",
    "write_yolo",
]

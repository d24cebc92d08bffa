"""The in-memory form every label writer takes and every reader returns, and what writers share."""

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from aoikit.errors import AoikitError
from aoikit.labels.regions import Region


@dataclass
class ImageLabels:
    """The regions of one image; ``width`` and ``height`` are the image's size in pixels."""

    image_path: str
    width: int
    height: int
    regions: list[Region]

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)``."""
        return self.width, self.height


def check_classes(labels: Sequence[ImageLabels], class_names: list[str]) -> None:
    """Raise ``AoikitError`` when a region's class is missing from ``class_names``."""
    for item in labels:
        for region in item.regions:
            if region.class_name not in class_names:
                raise AoikitError(f"{item.image_path}: class {region.class_name!r} is not one of {class_names}")


def unique_stems(image_paths: Sequence[str | PurePath]) -> list[str]:
    """File stems for per-image files: the image's stem, led by its folder names while two collide.

    ``test/crack/000.png`` and ``test/good/000.png`` become ``crack_000`` and ``good_000``.
    """
    paths = [PurePath(p).with_suffix("") for p in image_paths]
    parts = [[part for part in path.parts if part != path.anchor] for path in paths]
    stems: list[str] = []
    for depth in range(1, max((len(p) for p in parts), default=0) + 1):
        stems = ["_".join(p[-depth:]) for p in parts]
        if len(set(stems)) == len(stems):
            return stems
    return [f"{i:05d}_{stem}" for i, stem in enumerate(stems)]


def score_of(region: Region) -> float | None:
    """The region's ``score_max`` for a file, or None when it is unknown (NaN)."""
    return None if math.isnan(region.score_max) else region.score_max


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as indented UTF-8 JSON, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    return path


def read_json(path: Path) -> Any:
    """Parse a UTF-8 JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))

"""The in-memory form every label writer takes and every reader returns, and what writers share."""

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aoikit.errors import AoikitError, DataError
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


def score_of(region: Region) -> float | None:
    """The region's ``score_max`` for a file, or None when it is unknown (NaN)."""
    return None if math.isnan(region.score_max) else region.score_max


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as indented UTF-8 JSON, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    return path


def read_json(path: Path) -> Any:
    """Parse a UTF-8 JSON file.

    Raises:
        DataError: the file is not UTF-8 JSON (cut short, for one).
    """
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(path, f"not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno}); cut short?") from None
    except UnicodeDecodeError:
        raise DataError(path, "not a UTF-8 text file") from None

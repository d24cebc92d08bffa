"""Review actions on the state of one labels folder; each change is on disk before the call returns."""

import math
from pathlib import Path
from typing import Any

from aoikit.errors import AoikitError
from aoikit.review.state import ImageRecord, RegionRecord, ReviewState, Status, load_state, save_state


class NotFoundError(AoikitError, LookupError):
    """No image or region with that index or id."""


class ReviewSession:
    """The review of ``labels_dir``: loads (or creates) ``review.json`` and saves it after every change.

    Not thread-safe: call it from one thread (the web app calls it from its event loop only).
    """

    def __init__(self, labels_dir: Path) -> None:
        self.labels_dir = labels_dir
        self.state: ReviewState = load_state(labels_dir)

    def _save(self) -> None:
        save_state(self.labels_dir, self.state)

    def overview(self) -> dict[str, Any]:
        """Image count, images still pending, the image the reviewer is at, and each image's status."""
        statuses = [image["status"] for image in self.state["images"]]
        return {
            "count": len(statuses),
            "left": statuses.count("pending"),
            "current": self.state["current"],
            "statuses": statuses,
        }

    def image(self, index: int) -> ImageRecord:
        """The image at ``index`` (0-based) with its regions."""
        if not 0 <= index < len(self.state["images"]):
            raise NotFoundError(f"no image {index}; there are {len(self.state['images'])}")
        return self.state["images"][index]

    def region(self, index: int, region_id: int) -> RegionRecord:
        """Region ``region_id`` of image ``index``."""
        for region in self.image(index)["regions"]:
            if region["id"] == region_id:
                return region
        raise NotFoundError(f"image {index} has no region {region_id}")

    def go_to(self, index: int) -> None:
        """Remember ``index`` as the image the reviewer is at, to resume there."""
        self.image(index)
        self.state["current"] = index
        self._save()

    def accept_image(self, index: int) -> None:
        """Accept the image and each of its regions still pending."""
        image = self.image(index)
        image["status"] = "accepted"
        for region in image["regions"]:
            if region["status"] == "pending":
                region["status"] = "accepted"
        self._save()

    def set_image_status(self, index: int, status: Status) -> None:
        """Set the image's status; a rejected image is left out of exports."""
        image = self.image(index)
        image["status"] = status
        self._save()

    def update_region(
        self, index: int, region_id: int, box: list[float] | None = None, status: Status | None = None
    ) -> None:
        """Move the region's box (it becomes a box, its outline dropped) and/or set its status."""
        image, region = self.image(index), self.region(index, region_id)
        new_box = None if box is None else clean_box(box, image["width"], image["height"])
        if new_box is not None and new_box != region["box"]:
            region["box"], region["polygon"], region["holes"] = new_box, [], []
        if status is not None:
            region["status"] = status
        self._save()

    def add_region(self, index: int, box: list[float], class_name: str = "anomaly") -> int:
        """Add an accepted box the reviewer drew; returns its id."""
        image = self.image(index)
        new_box = clean_box(box, image["width"], image["height"])
        region_id = image["next_id"]
        image["next_id"] += 1
        image["regions"].append(
            {
                "id": region_id,
                "box": new_box,
                "polygon": [],
                "holes": [],
                "score": None,
                "class_name": class_name,
                "status": "accepted",
                "origin": "user",
            }
        )
        if class_name not in self.state["class_names"]:
            self.state["class_names"].append(class_name)
        self._save()
        return region_id

    def delete_region(self, index: int, region_id: int) -> None:
        """Remove the region from the review altogether (reject it instead to keep a record)."""
        image, region = self.image(index), self.region(index, region_id)
        image["regions"].remove(region)
        self._save()


def clean_box(box: list[float], width: int, height: int) -> list[int]:
    """``[x0, y0, x1, y1]`` rounded to pixel edges, ordered and clipped to the image.

    Raises:
        AoikitError: the box has not four finite numbers, or covers no pixel once clipped.
    """
    if len(box) != 4 or not all(math.isfinite(v) for v in box):
        raise AoikitError(f"a box is [x0, y0, x1, y1] of finite numbers, got {box}")
    xa, ya, xb, yb = (round(v) for v in box)
    x0, x1 = (min(max(v, 0), width) for v in sorted((xa, xb)))
    y0, y1 = (min(max(v, 0), height) for v in sorted((ya, yb)))
    if x1 <= x0 or y1 <= y0:
        raise AoikitError(f"box {box} covers no pixel of the {width}×{height} image")
    return [x0, y0, x1, y1]

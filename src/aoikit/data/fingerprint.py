"""Which good images a run learned from: the sha256 of each, kept in the run folder, so that runs meant to work
together (a detector and the supervised run that names its regions) can be checked to share their data."""

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from aoikit.errors import AoikitError

GOOD_IMAGES = "good_images.json"


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_good_images(run_dir: Path, paths: Iterable[Path]) -> None:
    """Write the sha256 of each good image a run learned from to ``run_dir/good_images.json``."""
    hashes = sorted({file_sha256(p) for p in paths})
    (run_dir / GOOD_IMAGES).write_text(json.dumps({"sha256": hashes}) + "\n")


def load_good_images(run_dir: Path) -> set[str] | None:
    """The good images recorded for a run (None: a run trained before they were recorded, or an export)."""
    path = run_dir / GOOD_IMAGES
    if not path.is_file():
        return None
    try:
        return {str(h) for h in json.loads(path.read_text())["sha256"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AoikitError(f"{path}: unreadable record of the run's good images ({exc})") from None


def check_same_data(run: Path, other: Path, what: str) -> None:
    """Refuse ``other`` (``what`` it is) when it learned from no good image ``run`` learned from; pass when either
    has no record.

    Raises:
        AoikitError: the two runs share no good image.
    """
    mine, theirs = load_good_images(run), load_good_images(other)
    if mine is not None and theirs is not None and not mine & theirs:
        raise AoikitError(f"{other}: {what} trained on another dataset (no good image in common with {run})")

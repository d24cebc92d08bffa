"""Output folders: made ready for writing, or a one-line error before any work."""

import os
from pathlib import Path

from aoikit.errors import AoikitError


def output_folder(path: Path) -> Path:
    """Create ``path`` (with its parents) to write into; an existing file or an unwritable place is an error."""
    if path.exists() and not path.is_dir():
        raise AoikitError(f"{path}: exists and is not a folder; choose another output folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AoikitError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise AoikitError(f"{path}: cannot write here (permission denied)")
    return path

"""Content-addressed files: each stored under its sha256, written once, durably, and never changed."""

import hashlib
import os
import re
import tempfile
from pathlib import Path

from aoikit.errors import AoikitError

SHA256 = re.compile(r"[0-9a-f]{64}")


class BlobStore:
    """Files under ``root/ab/abcdef…`` named by the sha256 of their bytes.

    A blob is written to a temporary file, synced and renamed into place, so a name never points at a
    partial file; names are computed here, so nothing a client sends becomes a path.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AoikitError(f"{root}: cannot create the image folder ({exc.strerror})") from None

    def put(self, data: bytes) -> str:
        """Store ``data`` (unless stored already) and return its sha256."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        _sync_folder(path.parent)
        return digest

    def path(self, digest: str) -> Path:
        """Where the blob ``digest`` lives.

        Raises:
            AoikitError: ``digest`` is not a lowercase sha256.
        """
        if not SHA256.fullmatch(digest):
            raise AoikitError(f"not a sha256: {digest[:80]!r}")
        return self.root / digest[:2] / digest

    def read(self, digest: str) -> bytes:
        """The bytes of blob ``digest``."""
        return self.path(digest).read_bytes()


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` survive a power cut."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)

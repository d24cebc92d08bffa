"""One writer per folder: an OS file lock (POSIX ``flock``) on a file inside it, held while the writer runs.

The lock goes with the process: a writer that crashes or is killed leaves no stale lock behind.
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aoikit.errors import AoikitError, DataError

LOCK_FILE = ".aoikit.lock"


@contextmanager
def lock_folder(folder: Path, holder: str) -> Iterator[None]:
    """Hold the lock of ``folder`` for the ``with`` block, recording ``holder`` and this process id in it.

    Raises:
        DataError: ``folder`` is not a folder, or the lock file cannot be made in it.
        AoikitError: another process holds the lock; the message names it.
    """
    if not folder.is_dir():
        raise DataError(folder, "not a folder")
    path = folder / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise DataError(path, f"cannot open the lock file ({exc.strerror})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = path.read_text(encoding="utf-8").strip() or "another process"
            raise AoikitError(f"{folder}: in use by {other}; stop it first (lock file {path})") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{holder} (pid {os.getpid()})\n".encode())
        yield
    finally:
        os.close(fd)

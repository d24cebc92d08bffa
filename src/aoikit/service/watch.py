"""Inspect the frames a camera drops into a folder, each exactly once, also across restarts and crashes.

A frame's key is its path, size and modification time; it is committed with the result, so a frame whose
key is stored is never inspected again, and one whose result was not committed (a kill -9 mid-frame) is
inspected after the restart. A file is read only once it is complete: its writer closed it (inotify's
close-write) or its size and time stood still for ``settle`` seconds; one that changes while read waits
again. Names starting with a dot and other extensions (``frame.png.part``) are ignored until renamed.
"""

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileClosedEvent, FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from aoikit.data.image_io import IMAGE_EXTENSIONS
from aoikit.errors import AoikitError
from aoikit.service.frames import FrameError
from aoikit.service.inspector import FrameMeta, Inspector
from aoikit.service.store import KEY, Inspection

log = logging.getLogger(__name__)
Report = Callable[[Path, Inspection | None, str | None], None]
"""Told of each frame settled: its path and its result, or None and why it was refused."""


def frame_key(path: Path, size: int, mtime_ns: int) -> str:
    """The key of a file's content as seen: path, size and modification time (hashed when too long)."""
    key = f"watch:{path}:{size}:{mtime_ns}"
    return key if len(key) <= KEY else f"watch:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float
    closed: bool = False


class FolderWatcher:
    """Watches ``folder`` (not its subfolders) and inspects each complete frame once.

    Args:
        folder: where the camera writes frames.
        inspector: inspects and stores them.
        meta: line, camera and part id stored with every frame.
        poll: seconds between looks at the files waiting (how long they must stand still is ``config.settle``).
        report: told of each frame settled.
    """

    def __init__(
        self,
        folder: Path,
        inspector: Inspector,
        meta: FrameMeta,
        poll: float = 0.2,
        report: Report | None = None,
    ) -> None:
        if not folder.is_dir():
            raise AoikitError(f"{folder}: not a folder to watch")
        self.folder = folder.resolve()
        self.inspector = inspector
        self.meta = meta
        self.settle = inspector.config.settle
        self.poll = poll
        self.report = report
        self._lock = threading.Lock()
        self._touched: dict[Path, bool] = {}
        self._waiting: dict[Path, _Seen] = {}
        self._refused: set[str] = set()

    def run(self, stop: threading.Event) -> None:
        """Inspect the frames there and those that arrive, until ``stop`` is set."""
        observer = Observer()
        observer.schedule(_Events(self._touch), str(self.folder), recursive=False)
        observer.start()
        try:
            for path in self.folder.iterdir():  # frames written while no watcher ran
                self._touch(path, False)
            while not stop.is_set():
                self.step()
                stop.wait(self.poll)
        finally:
            observer.stop()
            observer.join()

    def step(self) -> None:
        """Take in what changed, then inspect each waiting file that is complete."""
        with self._lock:
            touched, self._touched = self._touched, {}
        now = time.monotonic()
        for path, closed in touched.items():
            self._note(path, closed, now)
        for path in list(self._waiting):
            self._settle(path, now)

    def _touch(self, path: Path, closed: bool) -> None:
        if path.name.startswith(".") or path.suffix.lower() not in IMAGE_EXTENSIONS:
            return
        with self._lock:
            self._touched[path] = self._touched.get(path, False) or closed

    def _note(self, path: Path, closed: bool, now: float) -> None:
        try:
            stat = path.stat()
        except OSError:  # gone again
            self._waiting.pop(path, None)
            return
        seen = self._waiting.get(path)
        if seen is None or (seen.size, seen.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
            self._waiting[path] = _Seen(stat.st_size, stat.st_mtime_ns, now, closed)
        elif closed:
            seen.closed = True

    def _settle(self, path: Path, now: float) -> None:
        seen = self._waiting[path]
        try:
            stat = path.stat()
        except OSError:
            del self._waiting[path]
            return
        if (stat.st_size, stat.st_mtime_ns) != (seen.size, seen.mtime_ns):
            self._waiting[path] = _Seen(stat.st_size, stat.st_mtime_ns, now)
            return
        if not (seen.closed or now - seen.since >= self.settle) or stat.st_size == 0:
            return
        key = frame_key(path, stat.st_size, stat.st_mtime_ns)
        if key in self._refused or self.inspector.store.by_key(key) is not None:
            del self._waiting[path]
            return
        try:
            data = path.read_bytes()
            after = path.stat()
        except OSError:
            del self._waiting[path]
            return
        if (after.st_size, after.st_mtime_ns, len(data)) != (stat.st_size, stat.st_mtime_ns, stat.st_size):
            self._waiting[path] = _Seen(after.st_size, after.st_mtime_ns, now)  # written to while read
            return
        del self._waiting[path]
        try:
            row, _ = self.inspector.inspect(data, self.meta, "watch", key)
        except FrameError as exc:
            self._refused.add(key)
            log.warning("%s: %s", path, exc)
            if self.report is not None:
                self.report(path, None, str(exc))
            return
        if self.report is not None:
            self.report(path, row, None)


class _Events(FileSystemEventHandler):
    """Hands each created, changed, closed or renamed-into-place file to the watcher."""

    def __init__(self, touch: Callable[[Path, bool], None]) -> None:
        self.touch = touch

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type in ("deleted", "opened", "closed_no_write"):
            return
        path = event.dest_path if event.event_type == "moved" else event.src_path
        self.touch(Path(str(path)), isinstance(event, FileClosedEvent))

"""Work done after a frame is answered, in batches on one thread: the answer never waits for it.

Frames queue as they are answered; the thread takes every frame queued, hands them over in order, then pauses
before the next batch, so a busy line runs the checks a few times a second rather than once per frame, and they
take the cores from the next frames' answers that much less (docs/RESULTS.md).
"""

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
Item = TypeVar("Item")
PAUSE = 0.05
"""Seconds between two batches: how long a check may lag its frame at most, beyond its own time."""


class AfterAnswer(Generic[Item]):
    """Runs ``work`` on batches of items, in the order they were put, on a thread of its own.

    Args:
        work: called with each batch (a fault is logged, and later batches still run).
        pause: seconds to wait after a batch before taking the next.
    """

    def __init__(self, work: Callable[[list[Item]], None], pause: float = PAUSE) -> None:
        self.work, self.pause = work, pause
        self._items: queue.Queue[Item | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="after-answer", daemon=True)
        self._thread.start()

    def put(self, item: Item) -> None:
        """Queue ``item`` for the next batch."""
        self._items.put(item)

    def settle(self) -> None:
        """Wait until every item put so far has been worked on."""
        self._items.join()

    def close(self) -> None:
        """Work on what is queued, then stop the thread."""
        self._items.put(None)
        self._thread.join()

    def _run(self) -> None:
        stop = False
        while not stop:
            batch = [self._items.get()]
            while True:
                try:
                    batch.append(self._items.get_nowait())
                except queue.Empty:
                    break
            stop = None in batch
            items = [item for item in batch if item is not None]
            try:
                if items:
                    self.work(items)
            except Exception:  # a fault here must not stop the work on later frames
                log.exception("work after the answer failed on %d frame(s)", len(items))
            finally:
                for _ in batch:
                    self._items.task_done()
            if not stop:
                time.sleep(self.pause)

"""POST each new alert to a webhook from a background thread, retrying with backoff a bounded number of times."""

import json
import logging
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
TIMEOUT_S = 5.0
STOP = None


class Webhook:
    """Delivers JSON payloads to ``url`` one at a time, in the order given.

    A payload is tried once, then ``retries`` more times, waiting ``backoff`` seconds before the first retry and
    twice as long before each next one; any 2xx answer delivers it. ``record(alert_id, state, attempts)`` is
    called with "delivered" or "failed" once the payload is settled; stopping abandons the retries left.
    """

    def __init__(
        self,
        url: str,
        retries: int,
        backoff: float,
        record: Callable[[str, str, int], None],
        timeout: float = TIMEOUT_S,
    ) -> None:
        self.url = url
        self.retries = retries
        self.backoff = backoff
        self.record = record
        self.timeout = timeout
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="aoikit-webhook", daemon=True)
        self._thread.start()

    def send(self, payload: dict[str, Any]) -> None:
        """Queue ``payload`` (it must hold the alert's ``id``)."""
        self._queue.put(payload)

    def close(self, timeout: float = 10.0) -> None:
        """Deliver what is queued within ``timeout`` seconds, then stop."""
        self._queue.put(STOP)
        self._thread.join(timeout)
        self._stop.set()
        self._thread.join(1.0)

    def _work(self) -> None:
        while (payload := self._queue.get()) is not STOP:
            attempts, delivered = 0, False
            while not delivered and attempts <= self.retries and not self._stop.is_set():
                if attempts:
                    self._stop.wait(self.backoff * 2 ** (attempts - 1))
                attempts += 1
                delivered = self._post(payload)
            if delivered or not self._stop.is_set():  # abandoned by a stop: stays "pending"
                self.record(str(payload["id"]), "delivered" if delivered else "failed", attempts)

    def _post(self, payload: dict[str, Any]) -> bool:
        request = urllib.request.Request(
            self.url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return 200 <= response.status < 300
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.warning("webhook %s: %s", self.url, exc)
            return False

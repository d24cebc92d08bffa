"""POST alerts to a webhook from a background thread, retrying with backoff a bounded number of times.

Alerts wait in an :class:`Outbox` (the results store) as "pending" until settled, "delivered" or "failed", so none
is lost with the process that raised it: at start, and whenever the thread has been idle for ``sweep`` seconds, it
takes up the pending alerts no process holds. Before its tries, a process claims an alert for a lease that outlasts
them all; of processes sharing a database, one wins the claim (a conditional UPDATE), so two never deliver one alert
side by side. A stop frees the claim of the alert it abandons, so the next start sends it at once; the claim of a
killed process runs out after its lease.

The guarantee is at-least-once: a process that dies, or stalls past its lease, after the receiver took a POST but
before "delivered" was stored leaves the alert to be sent again. Receivers should drop repeats by the alert's
``id``. Processes sharing a database should share the webhook URL: any of them may send any pending alert.
"""

import json
import logging
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

log = logging.getLogger(__name__)
TIMEOUT_S = 5.0
SWEEP_S = 5.0
LEASE_MARGIN_S = 5.0
"""A claim outlasts a delivery's waits and timeouts by this much (slow database writes, clocks a little apart)."""
STOP = None
T = TypeVar("T")


class Outbox(Protocol):
    """Where alerts wait for the webhook and where their delivery is recorded."""

    def unsent(self) -> list[dict[str, Any]]:
        """Payloads of the pending alerts no process holds, oldest first (each with the alert's ``id``)."""
        ...

    def claim(self, alert_id: str, seconds: float) -> bool:
        """Hold a pending alert for ``seconds``; False when it is settled or another process holds it."""
        ...

    def settle(self, alert_id: str, delivery: str, attempts: int) -> None:
        """Record "delivered" or "failed" after ``attempts`` more POSTs, and free the claim."""
        ...

    def release(self, alert_id: str) -> None:
        """Free the claim on an alert left pending."""
        ...


class Webhook:
    """Delivers the alerts of ``outbox`` to ``url`` one at a time: those sent here, then any others left pending.

    A payload is tried once, then ``retries`` more times, waiting ``backoff`` seconds before the first retry and
    twice as long before each next one; any 2xx answer delivers it. Stopping abandons the retries left.
    """

    def __init__(
        self,
        url: str,
        retries: int,
        backoff: float,
        outbox: Outbox,
        timeout: float = TIMEOUT_S,
        sweep: float = SWEEP_S,
    ) -> None:
        self.url = url
        self.retries = retries
        self.backoff = backoff
        self.outbox = outbox
        self.timeout = timeout
        self.sweep = sweep
        self.lease = backoff * (2**retries - 1) + (retries + 1) * timeout + LEASE_MARGIN_S
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="aoikit-webhook", daemon=True)
        self._thread.start()

    def send(self, payload: dict[str, Any]) -> None:
        """Queue ``payload`` of an alert pending in the outbox (it must hold the alert's ``id``)."""
        self._queue.put(payload)

    def close(self, timeout: float = 10.0) -> None:
        """Deliver what is queued within ``timeout`` seconds, then stop."""
        self._queue.put(STOP)
        self._thread.join(timeout)
        self._stop.set()
        self._thread.join(1.0)

    def _work(self) -> None:
        self._take_up_unsent()
        while True:
            try:
                payload = self._queue.get(timeout=self.sweep)
            except queue.Empty:
                self._take_up_unsent()
                continue
            if payload is STOP:
                return
            self._deliver(payload)

    def _take_up_unsent(self) -> None:
        for payload in self._safely(self.outbox.unsent) or []:
            self._queue.put(payload)

    def _deliver(self, payload: dict[str, Any]) -> None:
        alert_id = str(payload["id"])
        if not self._safely(self.outbox.claim, alert_id, self.lease):
            return  # settled, or another process holds it
        attempts, delivered = 0, False
        while not delivered and attempts <= self.retries and not self._stop.is_set():
            if attempts:
                self._stop.wait(self.backoff * 2 ** (attempts - 1))
            attempts += 1
            delivered = self._post(payload)
        if delivered or not self._stop.is_set():
            self._safely(self.outbox.settle, alert_id, "delivered" if delivered else "failed", attempts)
        else:  # abandoned by a stop: left pending and free for the next start
            self._safely(self.outbox.release, alert_id)

    def _safely(self, call: Callable[..., T], *args: Any) -> T | None:
        """``call(*args)``, or None when it raises: the database may be away for a while; the thread lives on."""
        try:
            return call(*args)
        except Exception:  # any failure of the outbox; logged, and the alert stays pending
            log.exception("webhook outbox: %s failed", getattr(call, "__name__", call))
            return None

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

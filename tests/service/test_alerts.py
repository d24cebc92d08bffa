"""Rate alerts from a one-sided binomial test, the new-kind hook, and webhook delivery with bounded retries, also of
alerts left pending by a process that stopped or died."""

import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from aoikit.detector import Analysis
from aoikit.labels.regions import Region
from aoikit.service.alerts import AlertDesk, NewKind, binomial_tail, rate_test
from aoikit.service.inspector import FrameMeta
from aoikit.service.outbox import StoreOutbox
from aoikit.service.store import Alert, ResultStore, new_id
from aoikit.service.webhook import Webhook


def test_binomial_tail_matches_the_sum_of_the_probabilities() -> None:
    for n, p in [(1, 0.3), (20, 0.01), (200, 0.01), (50, 0.5)]:
        for k in range(n + 1):
            exact = sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))
            assert binomial_tail(k, n, p) == pytest.approx(exact, rel=1e-6, abs=1e-15)
    assert binomial_tail(0, 0, 0.01) == 1.0 and binomial_tail(3, 2, 0.01) == 0.0
    assert binomial_tail(1000, 2000, 0.01) < 1e-300


def test_the_test_needs_more_anomalies_than_good_parts_give() -> None:
    assert rate_test(2, 200, 0.01).p_value > 0.5  # the expected 1 %
    assert rate_test(10, 200, 0.01).p_value < 1e-3
    assert rate_test(0, 0, 0.01).p_value == 1.0


def desk(store: ResultStore, raised: list[tuple[Alert, list[str]]], window: int = 50) -> AlertDesk:
    return AlertDesk(store, 0.01, window, 1e-3, lambda alert, frames: raised.append((alert, frames)))


def test_a_burst_raises_one_alert_naming_its_frames_and_good_frames_none(db_url: str, row: Callable[..., Any]) -> None:
    store = ResultStore.open(db_url)
    raised: list[tuple[Alert, list[str]]] = []
    alerts = desk(store, raised)
    start = datetime.now(UTC) - timedelta(hours=1)
    for i in range(120):  # good parts, with anomalies at about the expected rate
        store.add(row(start + timedelta(seconds=i), camera="cam1", anomalous=i % 60 == 0))
        alerts.check_rate("cam1")
    assert raised == [] and store.alerts() == []
    burst = []
    for i in range(120, 140):
        stored, _ = store.add(row(start + timedelta(seconds=i), camera="cam1", anomalous=True))
        burst.append(stored.id)
        alerts.check_rate("cam1")
    assert len(raised) == 1 and len(store.alerts(open_only=True)) == 1
    alert = store.alerts()[0]
    assert alert.alert.kind == "rate" and alert.alert.camera == "cam1" and "of the last" in alert.alert.message
    assert set(alert.frames) <= set(burst) and len(alert.frames) == alert.alert.details["anomalous"] >= 3
    alerts.check_rate("cam2")  # another camera's window is its own
    assert len(store.alerts()) == 1
    for i in range(140, 190):  # the line recovers: the alert closes
        store.add(row(start + timedelta(seconds=i), camera="cam1"))
        alerts.check_rate("cam1")
    assert store.alerts(open_only=True) == [] and len(store.alerts()) == 1
    store.close()


def test_two_desks_on_one_database_raise_the_alert_once(db_url: str, row: Callable[..., Any]) -> None:
    stores = [ResultStore.open(db_url), ResultStore.open(db_url)]
    raised: list[tuple[Alert, list[str]]] = []
    desks = [desk(s, raised) for s in stores]
    for i in range(10):
        stores[i % 2].add(row(datetime.now(UTC) + timedelta(milliseconds=i), anomalous=True))
    threads = [threading.Thread(target=d.check_rate, args=("cam1",)) for d in desks for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(raised) == 1 and len(stores[0].alerts()) == 1
    for s in stores:
        s.close()


class Judge:
    """A judge that calls every anomalous frame's largest region a new kind, and counts its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[np.ndarray, Analysis, list[Region], str]] = []

    def judge(self, image: np.ndarray, analysis: Analysis, regions: list[Region], frame: str) -> list[NewKind]:
        self.calls.append((image, analysis, regions, frame))
        return [NewKind(f"new kind, {regions[0].area} px", key="blob", details={"area": regions[0].area})]


def test_a_judge_sees_anomalous_frames_only_and_its_new_kinds_are_alerts(
    open_service: Callable[..., Any], runs: dict[str, Any], bad_png: Callable[[int], bytes]
) -> None:
    inspector = open_service("ssim_ae", false_alarm_rate=1e-12)
    judge = Judge()
    inspector.judge = judge
    good = runs["ssim_ae"][1][0]
    inspector.inspect(good, FrameMeta(camera="c"), "api")
    inspector.settle()
    assert judge.calls == []
    first, _ = inspector.inspect(bad_png(1), FrameMeta(camera="c"), "api")
    second, _ = inspector.inspect(bad_png(2), FrameMeta(camera="c"), "api")
    inspector.settle()  # the checks run after the answer, in frame order
    image, analysis, regions, frame = judge.calls[0]
    assert image.shape == (64, 64) and analysis.maps and regions and regions[0].area > 100
    assert [call[3] for call in judge.calls] == [first.id, second.id] and frame == first.id
    alerts = inspector.store.alerts()
    assert [(v.alert.kind, v.frames) for v in alerts] == [("new_kind", [first.id])]  # the key holds the second
    assert len(judge.calls) == 2 and second.anomalous


class Outbox:
    """An outbox in memory: the alerts waiting, the claims held and the outcomes recorded."""

    def __init__(self, *waiting: str) -> None:
        self.waiting = [{"id": alert_id} for alert_id in waiting]
        self.held: set[str] = set()
        self.records: list[tuple[str, str, int]] = []

    def unsent(self) -> list[dict[str, Any]]:
        waiting, self.waiting = self.waiting, []
        return waiting

    def claim(self, alert_id: str, seconds: float) -> bool:
        free = alert_id not in self.held and all(r[0] != alert_id for r in self.records)
        self.held.add(alert_id)
        return free

    def settle(self, alert_id: str, delivery: str, attempts: int) -> None:
        self.held.discard(alert_id)
        self.records.append((alert_id, delivery, attempts))

    def release(self, alert_id: str) -> None:
        self.held.discard(alert_id)


def test_webhook_retries_with_growing_waits_until_delivered(receiver: Callable[..., Any]) -> None:
    hook_server = receiver(2)
    outbox = Outbox()
    hook = Webhook(hook_server.url, retries=3, backoff=0.05, outbox=outbox)
    hook.send({"id": "a1", "kind": "rate"})
    hook.close()
    assert outbox.records == [("a1", "delivered", 3)] and [b["id"] for b in hook_server.bodies] == ["a1"] * 3
    first_wait, second_wait = np.diff(hook_server.times)
    assert first_wait >= 0.05 and second_wait >= 0.1


def test_webhook_gives_up_after_the_retries(receiver: Callable[..., Any]) -> None:
    hook_server = receiver(100)
    outbox = Outbox()
    hook = Webhook(hook_server.url, retries=2, backoff=0.01, outbox=outbox)
    hook.send({"id": "a1"})
    hook.send({"id": "a2"})
    hook.send({"id": "a1"})  # queued twice: settled already, not sent again
    hook.close()
    assert outbox.records == [("a1", "failed", 3), ("a2", "failed", 3)] and len(hook_server.bodies) == 6


def test_webhook_to_nowhere_fails_without_raising() -> None:
    outbox = Outbox()
    hook = Webhook("http://127.0.0.1:9/", retries=1, backoff=0.0, outbox=outbox, timeout=1)
    hook.send({"id": "a1"})
    hook.close()
    assert outbox.records == [("a1", "failed", 2)]


def test_alerts_raised_by_the_service_reach_the_webhook_and_record_the_delivery(
    open_service: Callable[..., Any], receiver: Callable[..., Any], bad_png: Callable[[int], bytes]
) -> None:
    hook_server = receiver(1)
    inspector = open_service("ssim_ae", webhook=hook_server.url, webhook_backoff=0.01, alert_window=10)
    for seed in range(3):
        inspector.inspect(bad_png(seed), FrameMeta(camera="c"), "api")
    inspector.settle()
    inspector.webhook.close()
    [view] = inspector.store.alerts()
    assert (view.alert.delivery, view.alert.attempts) == ("delivered", 2)
    assert hook_server.bodies[-1]["id"] == view.alert.id and hook_server.bodies[-1]["frames"]
    assert hook_server.bodies[-1]["frames"][0]["links"]["overlay"].endswith("/overlay.png")


def pending(store: ResultStore, frame: str, claimed_until: datetime | None) -> str:
    """Store a pending alert naming ``frame``, as a process with a webhook leaves it; its id."""
    alert = Alert(
        id=new_id(), kind="rate", camera="c", created_at=datetime.now(UTC), open_key=None, message="m", details={},
        delivery="pending", attempts=0, claimed_until=claimed_until,
    )  # fmt: skip
    assert store.raise_alert(alert, [frame])
    return alert.id


def deliveries(store: ResultStore, *ids: str) -> list[tuple[str, int]]:
    found = {v.alert.id: (v.alert.delivery, v.alert.attempts) for v in store.alerts()}
    return [found[i] for i in ids]


def test_pending_alerts_no_process_holds_are_sent_once_by_the_processes_that_start(
    db_url: str, row: Callable[..., Any], receiver: Callable[..., Any], wait_for: Callable[..., None]
) -> None:
    store = ResultStore.open(db_url)
    frame, _ = store.add(row())
    now = datetime.now(UTC)
    never_tried = pending(store, frame.id, None)  # its process died before trying
    lease_over = pending(store, frame.id, now - timedelta(seconds=1))  # died while trying; its lease ran out
    held = pending(store, frame.id, now + timedelta(hours=1))  # another process is sending it now
    hook_server = receiver(0)
    stores = [ResultStore.open(db_url) for _ in range(2)]
    hooks = [Webhook(hook_server.url, 1, 0.01, StoreOutbox(s)) for s in stores]  # two processes start at once
    wait_for(lambda: deliveries(store, never_tried, lease_over) == [("delivered", 1)] * 2)
    for hook in hooks:
        hook.close()
    assert sorted(b["id"] for b in hook_server.bodies) == sorted([never_tried, lease_over])
    assert all(b["frames"][0]["id"] == frame.id for b in hook_server.bodies)
    assert deliveries(store, held) == [("pending", 0)]
    for s in [store, *stores]:
        s.close()


def test_an_alert_abandoned_by_a_stop_is_left_pending_and_sent_by_the_next_start(
    db_url: str, row: Callable[..., Any], receiver: Callable[..., Any], wait_for: Callable[..., None]
) -> None:
    store = ResultStore.open(db_url)
    frame, _ = store.add(row())
    alert_id = pending(store, frame.id, None)
    failing = receiver(100)
    hook = Webhook(failing.url, retries=3, backoff=30.0, outbox=StoreOutbox(store))
    wait_for(lambda: len(failing.bodies) == 1)
    hook.close(timeout=0.1)  # stopped while waiting to retry
    assert deliveries(store, alert_id) == [("pending", 0)]
    working = receiver(0)
    hook = Webhook(working.url, retries=3, backoff=30.0, outbox=StoreOutbox(store))
    wait_for(lambda: deliveries(store, alert_id) == [("delivered", 1)])
    hook.close()
    assert [b["id"] for b in working.bodies] == [alert_id]
    store.close()

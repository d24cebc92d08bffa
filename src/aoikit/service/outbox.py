"""The results store as the webhook's outbox: alerts wait there as "pending" until delivered or given up."""

from datetime import UTC, datetime, timedelta
from typing import Any

from aoikit.service.store import ResultStore
from aoikit.service.views import alert_json


class StoreOutbox:
    """The :class:`aoikit.service.webhook.Outbox` of a results store (its methods as described there); payloads
    are :func:`alert_json`, claims run on this machine's clock."""

    def __init__(self, store: ResultStore) -> None:
        self.store = store

    def unsent(self) -> list[dict[str, Any]]:
        return [alert_json(v.alert, v.frames) for v in self.store.unsent_alerts(datetime.now(UTC))]

    def claim(self, alert_id: str, seconds: float) -> bool:
        now = datetime.now(UTC)
        return self.store.claim_alert(alert_id, now, now + timedelta(seconds=seconds))

    def settle(self, alert_id: str, delivery: str, attempts: int) -> None:
        self.store.set_delivery(alert_id, delivery, attempts)

    def release(self, alert_id: str) -> None:
        self.store.release_alert(alert_id)

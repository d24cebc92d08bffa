"""Reads and writes of the results database; every write is committed before the call returns."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, case, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.sql import ColumnElement, Select

from aoikit.service.store.database import connect
from aoikit.service.store.schema import Alert, AlertFrame, Inspection

Q = TypeVar("Q", bound=Select[Any])
PENDING = "pending"
DELIVERED = "delivered"


def new_id() -> str:
    """A fresh row id: 32 hex digits, unique without asking the database."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class InspectionFilter:
    """Which inspections to list: a time range (``since`` inclusive, ``until`` exclusive), decision, camera."""

    since: datetime | None = None
    until: datetime | None = None
    anomalous: bool | None = None
    camera: str | None = None


@dataclass(frozen=True)
class AlertView:
    """An alert and the ids of the frames it names."""

    alert: Alert
    frames: list[str]


class ResultStore:
    """The results database of one service (or of several sharing it)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> "ResultStore":
        """Connect to ``url`` and migrate it (see :func:`aoikit.service.store.database.connect`)."""
        return cls(connect(url))

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def ping(self) -> None:
        """Raise unless the database answers."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    # --- inspections ---------------------------------------------------------------------------------------------
    def add(self, row: Inspection) -> tuple[Inspection, bool]:
        """Commit ``row``; if its ``frame_key`` is stored already, the stored row instead.

        Returns:
            The stored row and whether it is new.
        """
        try:
            with self._session.begin() as session:
                session.add(row)
            return row, True
        except IntegrityError:
            stored = self.by_key(row.frame_key) if row.frame_key is not None else None
            if stored is None:
                raise
            return stored, False

    def set_pictures(self, inspection_id: str, map_sha256: str, overlay_sha256: str) -> None:
        """Record the map and overlay drawn for inspection ``inspection_id`` (unless recorded already)."""
        query = update(Inspection).where(Inspection.id == inspection_id, Inspection.map_sha256.is_(None))
        with self.engine.begin() as connection:
            connection.execute(query.values(map_sha256=map_sha256, overlay_sha256=overlay_sha256))

    def by_key(self, frame_key: str) -> Inspection | None:
        """The inspection stored under ``frame_key``."""
        with self._session() as session:
            return session.scalars(select(Inspection).where(Inspection.frame_key == frame_key)).first()

    def get(self, inspection_id: str) -> Inspection | None:
        """The inspection ``inspection_id``."""
        with self._session() as session:
            return session.get(Inspection, inspection_id)

    def inspections(self, where: InspectionFilter, limit: int, offset: int = 0) -> tuple[list[Inspection], int]:
        """A page of inspections, newest first, and how many match in all."""
        query = _filtered(select(Inspection), where)
        with self._session() as session:
            total = session.scalar(_filtered(select(func.count()).select_from(Inspection), where)) or 0
            page = session.scalars(
                query.order_by(Inspection.created_at.desc(), Inspection.id.desc()).limit(limit).offset(offset)
            )
            return list(page), total

    def recent(self, camera: str, count: int) -> list[tuple[str, bool]]:
        """``(id, anomalous)`` of the newest ``count`` frames of ``camera``, newest first."""
        query = (
            select(Inspection.id, Inspection.anomalous)
            .where(Inspection.camera == camera)
            .order_by(Inspection.created_at.desc(), Inspection.id.desc())
            .limit(count)
        )
        with self._session() as session:
            return [(i, bool(a)) for i, a in session.execute(query)]

    def window_counts(self, camera: str, count: int) -> tuple[int, int]:
        """``(frames, anomalous)`` among the newest ``count`` frames of ``camera``, counted by the database."""
        newest = (
            select(Inspection.anomalous)
            .where(Inspection.camera == camera)
            .order_by(Inspection.created_at.desc(), Inspection.id.desc())
            .limit(count)
            .subquery()
        )
        query = select(func.count(), func.coalesce(func.sum(case((newest.c.anomalous, 1), else_=0)), 0))
        with self._session() as session:
            frames, anomalous = session.execute(query.select_from(newest)).one()
            return int(frames), int(anomalous)

    def decisions_since(self, since: datetime) -> list[tuple[datetime, bool]]:
        """``(created_at, anomalous)`` of every frame from ``since`` on, oldest first."""
        query = (
            select(Inspection.created_at, Inspection.anomalous)
            .where(Inspection.created_at >= since)
            .order_by(Inspection.created_at)
        )
        with self._session() as session:
            return [(t, bool(a)) for t, a in session.execute(query)]

    # --- alerts --------------------------------------------------------------------------------------------------
    def raise_alert(self, alert: Alert, frames: Sequence[str]) -> bool:
        """Commit an open alert naming ``frames``; False (nothing stored) if one of its ``open_key`` is open."""
        try:
            with self._session.begin() as session:
                session.add(alert)
                session.flush()
                session.add_all(AlertFrame(alert_id=alert.id, inspection_id=f) for f in dict.fromkeys(frames))
            return True
        except IntegrityError:
            if alert.open_key is None or self.open_alert(alert.open_key) is None:
                raise
            return False

    def open_alert(self, open_key: str) -> Alert | None:
        """The open alert holding ``open_key``."""
        with self._session() as session:
            return session.scalars(select(Alert).where(Alert.open_key == open_key)).first()

    def close_alert(self, alert_id: str, when: datetime) -> bool:
        """Close alert ``alert_id`` (freeing its ``open_key``); False if it is not open."""
        with self._session.begin() as session:
            alert = session.get(Alert, alert_id, with_for_update=True)
            if alert is None or alert.closed_at is not None:
                return False
            alert.open_key, alert.closed_at = None, when
            return True

    def acknowledge_alert(self, alert_id: str, kind: str | None, when: datetime) -> bool:
        """Record that a person looked at alert ``alert_id`` at ``when`` and named its ``kind`` (None: not named);
        False if there is no such alert."""
        query = update(Alert).where(Alert.id == alert_id)
        with self.engine.begin() as connection:
            done = connection.execute(query.values(acknowledged_at=when, acknowledged_kind=kind))
            return done.rowcount == 1

    def alert(self, alert_id: str) -> AlertView | None:
        """Alert ``alert_id`` with the frames it names."""
        views = self._views(select(Alert).where(Alert.id == alert_id))
        return views[0] if views else None

    def get_many(self, inspection_ids: Sequence[str]) -> list[Inspection]:
        """The stored inspections among ``inspection_ids``, oldest first."""
        query = select(Inspection).where(Inspection.id.in_(list(inspection_ids)))
        with self._session() as session:
            return list(session.scalars(query.order_by(Inspection.created_at, Inspection.id)))

    def set_delivery(self, alert_id: str, delivery: str, attempts: int) -> None:
        """Record how delivering alert ``alert_id`` to the webhook went (``attempts`` more POSTs) and free its
        claim; an alert delivered already stays delivered."""
        query = update(Alert).where(Alert.id == alert_id, Alert.delivery != DELIVERED)
        with self.engine.begin() as connection:
            connection.execute(query.values(delivery=delivery, attempts=Alert.attempts + attempts, claimed_until=None))

    def claim_alert(self, alert_id: str, now: datetime, until: datetime) -> bool:
        """Hold pending alert ``alert_id`` until ``until`` unless it is settled or another claim holds it at ``now``;
        whether it is held now. One conditional UPDATE: of processes claiming at once, one wins."""
        query = update(Alert).where(Alert.id == alert_id, Alert.delivery == PENDING, _unclaimed(now))
        with self.engine.begin() as connection:
            return connection.execute(query.values(claimed_until=until)).rowcount == 1

    def release_alert(self, alert_id: str) -> None:
        """Free the claim on alert ``alert_id``, leaving it as it is."""
        with self.engine.begin() as connection:
            connection.execute(update(Alert).where(Alert.id == alert_id).values(claimed_until=None))

    def unsent_alerts(self, now: datetime, limit: int = 100) -> list[AlertView]:
        """The oldest pending alerts that no claim holds at ``now``, with the frames each names."""
        query = select(Alert).where(Alert.delivery == PENDING, _unclaimed(now))
        return self._views(query.order_by(Alert.created_at, Alert.id).limit(limit))

    def alerts(self, open_only: bool = False, limit: int = 100) -> list[AlertView]:
        """The newest alerts (open ones only if asked) with the frames each names."""
        query = select(Alert).order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)
        if open_only:
            query = query.where(Alert.closed_at.is_(None))
        return self._views(query)

    def _views(self, query: Select[Alert]) -> list[AlertView]:
        with self._session() as session:
            rows = list(session.scalars(query))
            links = session.execute(
                select(AlertFrame.alert_id, AlertFrame.inspection_id).where(
                    AlertFrame.alert_id.in_([a.id for a in rows])
                )
            )
            frames: dict[str, list[str]] = {}
            for alert_id, inspection_id in links:
                frames.setdefault(alert_id, []).append(inspection_id)
            return [AlertView(a, sorted(frames.get(a.id, []))) for a in rows]


def _unclaimed(now: datetime) -> ColumnElement[bool]:
    """An alert no claim holds at ``now``."""
    return or_(Alert.claimed_until.is_(None), Alert.claimed_until <= now)


def _filtered(query: Q, where: InspectionFilter) -> Q:
    if where.since is not None:
        query = query.where(Inspection.created_at >= where.since)
    if where.until is not None:
        query = query.where(Inspection.created_at < where.until)
    if where.anomalous is not None:
        query = query.where(Inspection.anomalous == where.anomalous)
    if where.camera is not None:
        query = query.where(Inspection.camera == where.camera)
    return query

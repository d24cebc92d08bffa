"""The results tables: one row per inspected frame, the alerts, and which frames each alert names.

Timestamps are stored as naive UTC and read back as aware UTC, the same on SQLite and PostgreSQL.
Images, maps and overlays live on disk (:mod:`aoikit.service.blobs`); rows hold their sha256 names.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAME = 100
"""Longest line, camera or part id."""
KEY = 512
"""Longest frame key."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp kept as naive UTC in the database and handed out as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Metadata of every results table (the migrations build the same)."""


class Inspection(Base):
    """One inspected frame: where it came from, what the model said, and where its images are.

    ``frame_key`` is unique: a frame sent again with the same key (a retried request, a file seen again
    after a restart) finds this row instead of adding one. ``regions`` is a list of
    ``{"box", "polygon", "score_max", "score_mean", "area"}``. The map and overlay are drawn when first asked
    for (their sha256 is None until then); ``model_ms`` is the model's own time within ``latency_ms`` (None in
    rows older than it).
    """

    __tablename__ = "inspections"
    __table_args__ = (Index("ix_inspections_camera_created", "camera", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    frame_key: Mapped[str | None] = mapped_column(String(KEY), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    line: Mapped[str] = mapped_column(String(NAME))
    camera: Mapped[str] = mapped_column(String(NAME))
    part_id: Mapped[str] = mapped_column(String(NAME))
    image_sha256: Mapped[str] = mapped_column(String(64))
    map_sha256: Mapped[str | None] = mapped_column(String(64))
    overlay_sha256: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    image_threshold: Mapped[float] = mapped_column(Float)
    pixel_threshold: Mapped[float] = mapped_column(Float)
    anomalous: Mapped[bool] = mapped_column(Boolean, index=True)
    regions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    model_name: Mapped[str] = mapped_column(String(NAME))
    model_version: Mapped[str] = mapped_column(String(64))
    backend: Mapped[str] = mapped_column(String(32))
    latency_ms: Mapped[float] = mapped_column(Float)
    model_ms: Mapped[float | None] = mapped_column(Float, default=None)


class Alert(Base):
    """A raised alert. ``open_key`` ("KIND:camera") is set while it is open and unique, so however many
    processes share the database, one alert of a kind is open per camera; closing clears it.

    ``delivery`` is "none" (no webhook), "pending", "delivered" or "failed"; ``attempts`` counts the webhook POSTs
    recorded. While a process POSTs a pending alert it holds it until ``claimed_until`` (see
    :mod:`aoikit.service.webhook`). A person who has looked at it sets ``acknowledged_at`` and may name the kind
    of anomaly it shows (``acknowledged_kind``); the last acknowledgement counts.
    """

    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    camera: Mapped[str] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    open_key: Mapped[str | None] = mapped_column(String(KEY), unique=True)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    delivery: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    acknowledged_kind: Mapped[str | None] = mapped_column(String(NAME), default=None)


class AlertFrame(Base):
    """A frame an alert names (the anomalous frames of the window, or the frame with the new kind)."""

    __tablename__ = "alert_frames"

    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id"), primary_key=True, index=True)

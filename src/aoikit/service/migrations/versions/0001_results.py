"""Inspections, alerts and the frames each alert names.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inspections",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("frame_key", sa.String(512), nullable=True, unique=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("line", sa.String(100), nullable=False),
        sa.Column("camera", sa.String(100), nullable=False),
        sa.Column("part_id", sa.String(100), nullable=False),
        sa.Column("image_sha256", sa.String(64), nullable=False),
        sa.Column("map_sha256", sa.String(64), nullable=False),
        sa.Column("overlay_sha256", sa.String(64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("image_threshold", sa.Float(), nullable=False),
        sa.Column("pixel_threshold", sa.Float(), nullable=False),
        sa.Column("anomalous", sa.Boolean(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("model_name", sa.String(100), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("backend", sa.String(32), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
    )
    op.create_index("ix_inspections_created_at", "inspections", ["created_at"])
    op.create_index("ix_inspections_anomalous", "inspections", ["anomalous"])
    op.create_index("ix_inspections_camera_created", "inspections", ["camera", "created_at"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("camera", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("open_key", sa.String(512), nullable=True, unique=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("delivery", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
    )
    op.create_index("ix_alerts_created_at", "alerts", ["created_at"])
    op.create_table(
        "alert_frames",
        sa.Column("alert_id", sa.String(32), sa.ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("inspection_id", sa.String(32), sa.ForeignKey("inspections.id"), primary_key=True),
    )
    op.create_index("ix_alert_frames_inspection_id", "alert_frames", ["inspection_id"])


def downgrade() -> None:
    op.drop_table("alert_frames")
    op.drop_table("alerts")
    op.drop_table("inspections")

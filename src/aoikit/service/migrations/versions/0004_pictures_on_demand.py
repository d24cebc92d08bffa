"""Pictures on demand: a frame's map and overlay are drawn when first asked for (empty until then), and each
result keeps the model's own time.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inspections") as batch:
        batch.alter_column("map_sha256", existing_type=sa.String(64), nullable=True)
        batch.alter_column("overlay_sha256", existing_type=sa.String(64), nullable=True)
        batch.add_column(sa.Column("model_ms", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inspections") as batch:
        batch.drop_column("model_ms")
        batch.alter_column("overlay_sha256", existing_type=sa.String(64), nullable=False)
        batch.alter_column("map_sha256", existing_type=sa.String(64), nullable=False)

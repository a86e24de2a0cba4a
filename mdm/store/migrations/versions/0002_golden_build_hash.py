"""golden records: the hash of what each was built from, so unchanged clusters are skipped

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 13:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("golden_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("build_hash", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("golden_records", schema=None) as batch_op:
        batch_op.drop_column("build_hash")

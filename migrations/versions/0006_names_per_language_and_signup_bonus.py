"""reward and voucher names per language; a customer-facing message on ledger entries; an
import's setting to give the sign-up bonus

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    for table in ("rewards", "vouchers"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("names", JSON, nullable=False, server_default="{}"))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("names", server_default=None)
    op.create_table(
        "points_entry_messages",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("message", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id", "entry_id"],
            ["points_entries.merchant_id", "points_entries.id"],
            name=op.f("fk_points_entry_messages_merchant_id_entry_id_points_entries"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "entry_id", name=op.f("pk_points_entry_messages")),
    )
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("signup_bonus", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.alter_column("signup_bonus", server_default=None)


def downgrade() -> None:
    op.drop_table("points_entry_messages")
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_column("signup_bonus")
    for table in ("rewards", "vouchers"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("names")

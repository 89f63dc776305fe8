"""redemption request keys on vouchers; ledger reasons as stable codes

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (kind, English phrase the first versions wrote) -> the code written from now on. Only the kind
# that wrote a phrase is changed: an adjustment's reason is a manager's words, kept as typed.
REASONS = {
    ("payment", "points paid a sale"): "sale_payment",
    ("refund", "points paid, refunded"): "refund_payment",
    ("refund", "points of refunded items"): "refund_earned",
    ("expire", "points expired"): "expiry",
}


def upgrade() -> None:
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_key", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "uq_vouchers_merchant_id_request_key",
            ["merchant_id", "request_key"],
            unique=True,
            sqlite_where=sa.text("request_key IS NOT NULL"),
            postgresql_where=sa.text("request_key IS NOT NULL"),
        )
    entries = sa.table("points_entries", sa.column("reason", sa.String), sa.column("kind"))
    for (kind, phrase), code in REASONS.items():
        op.execute(
            entries.update()
            .where(entries.c.kind == kind, entries.c.reason == phrase)
            .values(reason=code)
        )
    # "reward: Cake" -> "reward:Cake" (the prefix is a code, the name is the reward's)
    op.execute(
        entries.update()
        .where(entries.c.kind == "redeem", entries.c.reason.like("reward: %"))
        .values(reason="reward:" + sa.func.substr(entries.c.reason, 9))
    )


def downgrade() -> None:
    entries = sa.table("points_entries", sa.column("reason", sa.String), sa.column("kind"))
    for (kind, phrase), code in REASONS.items():
        op.execute(
            entries.update()
            .where(entries.c.kind == kind, entries.c.reason == code)
            .values(reason=phrase)
        )
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.drop_index("uq_vouchers_merchant_id_request_key")
        batch_op.drop_column("request_key")

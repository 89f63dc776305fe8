"""a customer's coupon uses point at the customer

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-04 18:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "fk_coupon_customer_uses_merchant_id_customer_id_customers"


def upgrade() -> None:
    # SQLite rebuilds this small table (batch mode); `customers` itself is left as it is. Every
    # row was written by a sale with a live customer of the same shop, and customers are never
    # deleted (erasure blanks the row), so no existing row breaks the key.
    with op.batch_alter_table("coupon_customer_uses", schema=None) as batch_op:
        batch_op.create_foreign_key(
            NAME, "customers", ["merchant_id", "customer_id"], ["merchant_id", "id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("coupon_customer_uses", schema=None) as batch_op:
        batch_op.drop_constraint(NAME, type_="foreignkey")

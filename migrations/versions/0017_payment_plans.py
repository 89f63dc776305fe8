"""Payment plans: offers, plans, their installments and payments

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-04 18:09:20.122101
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import regulars.kit.models

revision: str = "0017"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_plan_offers",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("installments", sa.Integer(), nullable=False),
        sa.Column("interval_months", sa.Integer(), nullable=False),
        sa.Column("down_payment_percent", sa.Integer(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("min_price", sa.BigInteger(), nullable=False),
        sa.Column("max_price", sa.BigInteger(), nullable=False),
        sa.Column("min_visits", sa.Integer(), nullable=False),
        sa.Column("min_spend", sa.BigInteger(), nullable=False),
        sa.Column("max_open_plans", sa.Integer(), nullable=False),
        sa.Column("late_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "down_payment_percent >= 0 AND down_payment_percent < 100",
            name=op.f("ck_payment_plan_offers_down_payment_percent"),
        ),
        sa.CheckConstraint("fee >= 0", name=op.f("ck_payment_plan_offers_fee")),
        sa.CheckConstraint("installments >= 1", name=op.f("ck_payment_plan_offers_installments")),
        sa.CheckConstraint(
            "interval_months >= 1", name=op.f("ck_payment_plan_offers_interval_months")
        ),
        sa.CheckConstraint(
            "min_price >= 1 AND max_price >= min_price",
            name=op.f("ck_payment_plan_offers_price_range"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_payment_plan_offers_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "id", name=op.f("pk_payment_plan_offers")),
        sa.UniqueConstraint(
            "merchant_id", "name", name=op.f("uq_payment_plan_offers_merchant_id_name")
        ),
    )
    op.create_table(
        "payment_plans",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("principal", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("interval_months", sa.Integer(), nullable=False),
        sa.Column("first_due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'overdue', 'completed')", name=op.f("ck_payment_plans_status")
        ),
        sa.CheckConstraint("paid >= 0 AND paid <= total", name=op.f("ck_payment_plans_paid")),
        sa.CheckConstraint("principal >= 1", name=op.f("ck_payment_plans_principal")),
        sa.CheckConstraint("total = principal + fee", name=op.f("ck_payment_plans_total")),
        sa.ForeignKeyConstraint(
            ["merchant_id", "customer_id"],
            ["customers.merchant_id", "customers.id"],
            name=op.f("fk_payment_plans_merchant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id", "offer_id"],
            ["payment_plan_offers.merchant_id", "payment_plan_offers.id"],
            name=op.f("fk_payment_plans_merchant_id_offer_id_payment_plan_offers"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "id", name=op.f("pk_payment_plans")),
    )
    with op.batch_alter_table("payment_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_plans_merchant_id_customer_id"),
            ["merchant_id", "customer_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_payment_plans_merchant_id_status"),
            ["merchant_id", "status"],
            unique=False,
        )

    op.create_table(
        "payment_plan_installments",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("down_payment", sa.Boolean(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("points_awarded", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'overdue', 'paid')",
            name=op.f("ck_payment_plan_installments_status"),
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_payment_plan_installments_amount")),
        sa.CheckConstraint(
            "paid >= 0 AND paid <= amount", name=op.f("ck_payment_plan_installments_paid")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id", "plan_id"],
            ["payment_plans.merchant_id", "payment_plans.id"],
            name=op.f("fk_payment_plan_installments_merchant_id_plan_id_payment_plans"),
        ),
        sa.PrimaryKeyConstraint(
            "merchant_id", "plan_id", "seq", name=op.f("pk_payment_plan_installments")
        ),
    )
    with op.batch_alter_table("payment_plan_installments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_plan_installments_merchant_id_status_due_on"),
            ["merchant_id", "status", "due_on"],
            unique=False,
        )

    op.create_table(
        "payment_plan_payments",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column(
            "answer",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount >= 1", name=op.f("ck_payment_plan_payments_amount")),
        sa.ForeignKeyConstraint(
            ["merchant_id", "plan_id"],
            ["payment_plans.merchant_id", "payment_plans.id"],
            name=op.f("fk_payment_plan_payments_merchant_id_plan_id_payment_plans"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "id", name=op.f("pk_payment_plan_payments")),
        sa.UniqueConstraint(
            "merchant_id",
            "payment_id",
            name=op.f("uq_payment_plan_payments_merchant_id_payment_id"),
        ),
    )
    with op.batch_alter_table("payment_plan_payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_plan_payments_merchant_id_plan_id"),
            ["merchant_id", "plan_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_plan_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_plan_payments_merchant_id_plan_id"))

    op.drop_table("payment_plan_payments")
    with op.batch_alter_table("payment_plan_installments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_plan_installments_merchant_id_status_due_on"))

    op.drop_table("payment_plan_installments")
    with op.batch_alter_table("payment_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_plans_merchant_id_status"))
        batch_op.drop_index(batch_op.f("ix_payment_plans_merchant_id_customer_id"))

    op.drop_table("payment_plans")
    op.drop_table("payment_plan_offers")

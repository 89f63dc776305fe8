"""Messaging: the outbox, channel settings per merchant (secrets encrypted), anti-annoyance
settings, per-customer channel addresses, a customer's preferred channel

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import regulars.kit.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "messaging_channels",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("secret", sa.LargeBinary(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_messaging_channels_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "channel", name=op.f("pk_messaging_channels")),
    )
    op.create_table(
        "messaging_settings",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("cap_messages", sa.Integer(), nullable=False),
        sa.Column("cap_days", sa.Integer(), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=False),
        sa.Column("quiet_end", sa.String(length=5), nullable=False),
        sa.Column("updated_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_messaging_settings_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "category", name=op.f("pk_messaging_settings")),
    )
    op.create_table(
        "outbox",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("address", sa.String(length=254), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("variant", sa.String(length=16), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("skip_reason", sa.String(length=40), nullable=True),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", regulars.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_outbox_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("merchant_id", "id", name=op.f("pk_outbox")),
        sa.UniqueConstraint(
            "merchant_id", "dedupe_key", name=op.f("uq_outbox_merchant_id_dedupe_key")
        ),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_merchant_id_customer_id_category_sent_at"),
            ["merchant_id", "customer_id", "category", "sent_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_status_next_attempt_at"),
            ["status", "next_attempt_at"],
            unique=False,
        )

    op.create_table(
        "customer_channel_addresses",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("updated_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id", "customer_id"],
            ["customers.merchant_id", "customers.id"],
            name=op.f("fk_customer_channel_addresses_merchant_id_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint(
            "merchant_id", "customer_id", "channel", name=op.f("pk_customer_channel_addresses")
        ),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preferred_channel", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("preferred_channel")

    op.drop_table("customer_channel_addresses")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_status_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_outbox_merchant_id_customer_id_category_sent_at"))

    op.drop_table("outbox")
    op.drop_table("messaging_settings")
    op.drop_table("messaging_channels")

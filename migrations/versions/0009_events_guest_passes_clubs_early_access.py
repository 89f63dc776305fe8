"""VIP events with RSVPs, guest passes and door check-in; clubs with members; early access
(a tier and a date) on rewards

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import regulars.kit.models

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clubs",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("multiplier", sa.Integer(), nullable=False),
        sa.Column("perk", sa.String(length=500), nullable=False),
        sa.Column("created_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "multiplier >= 100 AND multiplier <= 1000", name=op.f("ck_clubs_multiplier")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_clubs_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("merchant_id", "id", name=op.f("pk_clubs")),
        sa.UniqueConstraint("merchant_id", "name", name=op.f("uq_clubs_merchant_id_name")),
    )
    op.create_table(
        "events",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("starts_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("guests_allowed", sa.Integer(), nullable=False),
        sa.Column(
            "tiers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_events_capacity")),
        sa.CheckConstraint("guests_allowed >= 0", name=op.f("ck_events_guests_allowed")),
        sa.CheckConstraint("taken >= 0 AND taken <= capacity", name=op.f("ck_events_taken")),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_events_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("merchant_id", "id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_merchant_id_starts_at"),
            ["merchant_id", "starts_at"],
            unique=False,
        )

    op.create_table(
        "club_members",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("club_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("joined_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id", "club_id"],
            ["clubs.merchant_id", "clubs.id"],
            name=op.f("fk_club_members_merchant_id_club_id_clubs"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id", "customer_id"],
            ["customers.merchant_id", "customers.id"],
            name=op.f("fk_club_members_merchant_id_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint(
            "merchant_id", "club_id", "customer_id", name=op.f("pk_club_members")
        ),
    )
    with op.batch_alter_table("club_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_club_members_merchant_id_customer_id"),
            ["merchant_id", "customer_id"],
            unique=False,
        )

    op.create_table(
        "event_rsvps",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("guests", sa.Integer(), nullable=False),
        sa.Column("passes_given", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("checked_in_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("guests >= 0", name=op.f("ck_event_rsvps_guests")),
        sa.CheckConstraint(
            "passes_given >= 0 AND passes_given <= guests", name=op.f("ck_event_rsvps_passes_given")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id", "customer_id"],
            ["customers.merchant_id", "customers.id"],
            name=op.f("fk_event_rsvps_merchant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id", "event_id"],
            ["events.merchant_id", "events.id"],
            name=op.f("fk_event_rsvps_merchant_id_event_id_events"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "id", name=op.f("pk_event_rsvps")),
        sa.UniqueConstraint("merchant_id", "code", name=op.f("uq_event_rsvps_merchant_id_code")),
        sa.UniqueConstraint(
            "merchant_id",
            "event_id",
            "customer_id",
            name=op.f("uq_event_rsvps_merchant_id_event_id_customer_id"),
        ),
    )
    with op.batch_alter_table("event_rsvps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_rsvps_merchant_id_customer_id"),
            ["merchant_id", "customer_id"],
            unique=False,
        )

    op.create_table(
        "guest_passes",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("rsvp_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("checked_in_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id", "customer_id"],
            ["customers.merchant_id", "customers.id"],
            name=op.f("fk_guest_passes_merchant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id", "event_id"],
            ["events.merchant_id", "events.id"],
            name=op.f("fk_guest_passes_merchant_id_event_id_events"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id", "rsvp_id"],
            ["event_rsvps.merchant_id", "event_rsvps.id"],
            name=op.f("fk_guest_passes_merchant_id_rsvp_id_event_rsvps"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "id", name=op.f("pk_guest_passes")),
        sa.UniqueConstraint("merchant_id", "code", name=op.f("uq_guest_passes_merchant_id_code")),
        sa.UniqueConstraint(
            "merchant_id",
            "event_id",
            "customer_id",
            name=op.f("uq_guest_passes_merchant_id_event_id_customer_id"),
        ),
    )
    with op.batch_alter_table("guest_passes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_guest_passes_merchant_id_rsvp_id"),
            ["merchant_id", "rsvp_id"],
            unique=False,
        )

    with op.batch_alter_table("rewards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("early_access_tier", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column(
                "early_access_until", regulars.kit.models.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("rewards", schema=None) as batch_op:
        batch_op.drop_column("early_access_until")
        batch_op.drop_column("early_access_tier")

    with op.batch_alter_table("guest_passes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guest_passes_merchant_id_rsvp_id"))

    op.drop_table("guest_passes")
    with op.batch_alter_table("event_rsvps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_rsvps_merchant_id_customer_id"))

    op.drop_table("event_rsvps")
    with op.batch_alter_table("club_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_club_members_merchant_id_customer_id"))

    op.drop_table("club_members")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_merchant_id_starts_at"))

    op.drop_table("events")
    op.drop_table("clubs")

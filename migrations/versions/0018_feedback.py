"""Feedback (surveys, tickets and SLA breaches, reviews, engagement awards) and after-sales
service (schedules and visits)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 18:27:52.261313
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import regulars.kit.models

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_settings",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_feedback_settings_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "part", name=op.f("pk_feedback_settings")),
    )
    op.create_table(
        "engagement_awards",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("what", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("awarded_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id", "customer_id"],
            ["customers.merchant_id", "customers.id"],
            name=op.f("fk_engagement_awards_merchant_id_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint(
            "merchant_id", "customer_id", "what", "ref", name=op.f("pk_engagement_awards")
        ),
    )
    op.create_table(
        "reviews",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("points_awarded", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("kind IN ('review', 'post')", name=op.f("ck_reviews_kind")),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')", name=op.f("ck_reviews_status")
        ),
        sa.CheckConstraint(
            "rating IS NULL OR rating BETWEEN 1 AND 5", name=op.f("ck_reviews_rating")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id", "customer_id"],
            ["customers.merchant_id", "customers.id"],
            name=op.f("fk_reviews_merchant_id_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "id", name=op.f("pk_reviews")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reviews_merchant_id_customer_id"),
            ["merchant_id", "customer_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_reviews_merchant_id_status_created_at"),
            ["merchant_id", "status", "created_at"],
            unique=False,
        )

    op.create_table(
        "service_schedules",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("item", sa.String(length=120), nullable=False),
        sa.Column("service", sa.String(length=120), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("purchase_id", sa.Uuid(), nullable=True),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("every_months", sa.Integer(), nullable=True),
        sa.Column("every_km", sa.Integer(), nullable=True),
        sa.Column("last_service_on", sa.Date(), nullable=False),
        sa.Column("last_odometer_km", sa.BigInteger(), nullable=True),
        sa.Column("next_due_on", sa.Date(), nullable=True),
        sa.Column("next_due_km", sa.BigInteger(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "every_km IS NULL OR every_km > 0", name=op.f("ck_service_schedules_every_km")
        ),
        sa.CheckConstraint(
            "every_months IS NOT NULL OR every_km IS NOT NULL",
            name=op.f("ck_service_schedules_interval"),
        ),
        sa.CheckConstraint(
            "every_months IS NULL OR every_months > 0",
            name=op.f("ck_service_schedules_every_months"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id", "customer_id"],
            ["customers.merchant_id", "customers.id"],
            name=op.f("fk_service_schedules_merchant_id_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "id", name=op.f("pk_service_schedules")),
    )
    with op.batch_alter_table("service_schedules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_schedules_merchant_id_active_next_due_on"),
            ["merchant_id", "active", "next_due_on"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_service_schedules_merchant_id_customer_id"),
            ["merchant_id", "customer_id"],
            unique=False,
        )

    op.create_table(
        "surveys",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("purchase_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("kind IN ('nps', 'csat')", name=op.f("ck_surveys_kind")),
        sa.CheckConstraint(
            "score IS NULL OR (kind = 'nps' AND score BETWEEN 0 AND 10)"
            " OR (kind = 'csat' AND score BETWEEN 1 AND 5)",
            name=op.f("ck_surveys_score"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id", "customer_id"],
            ["customers.merchant_id", "customers.id"],
            name=op.f("fk_surveys_merchant_id_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "id", name=op.f("pk_surveys")),
        sa.UniqueConstraint(
            "merchant_id", "purchase_id", name=op.f("uq_surveys_merchant_id_purchase_id")
        ),
        sa.UniqueConstraint(
            "merchant_id", "token_hash", name=op.f("uq_surveys_merchant_id_token_hash")
        ),
    )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_surveys_merchant_id_answered_at"),
            ["merchant_id", "answered_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_surveys_merchant_id_customer_id"),
            ["merchant_id", "customer_id"],
            unique=False,
        )

    op.create_table(
        "tickets",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "first_response_due_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "resolution_due_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "first_responded_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("resolved_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "priority IN ('urgent', 'high', 'normal', 'low')", name=op.f("ck_tickets_priority")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'pending', 'resolved', 'closed')", name=op.f("ck_tickets_status")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id", "customer_id"],
            ["customers.merchant_id", "customers.id"],
            name=op.f("fk_tickets_merchant_id_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "id", name=op.f("pk_tickets")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tickets_merchant_id_customer_id"),
            ["merchant_id", "customer_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_tickets_merchant_id_status_resolution_due_at"),
            ["merchant_id", "status", "resolution_due_at"],
            unique=False,
        )

    op.create_table(
        "service_visits",
        sa.Column("schedule_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("odometer_km", sa.BigInteger(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("voucher_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "odometer_km IS NULL OR odometer_km >= 0", name=op.f("ck_service_visits_odometer")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id", "schedule_id"],
            ["service_schedules.merchant_id", "service_schedules.id"],
            name=op.f("fk_service_visits_merchant_id_schedule_id_service_schedules"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "id", name=op.f("pk_service_visits")),
    )
    with op.batch_alter_table("service_visits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_visits_merchant_id_schedule_id_visited_on"),
            ["merchant_id", "schedule_id", "visited_on"],
            unique=False,
        )

    op.create_table(
        "ticket_breaches",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("alerted_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('first_response', 'resolution')", name=op.f("ck_ticket_breaches_kind")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id", "ticket_id"],
            ["tickets.merchant_id", "tickets.id"],
            name=op.f("fk_ticket_breaches_merchant_id_ticket_id_tickets"),
        ),
        sa.PrimaryKeyConstraint(
            "merchant_id", "ticket_id", "kind", name=op.f("pk_ticket_breaches")
        ),
    )
    op.create_table(
        "ticket_messages",
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("author_type", sa.String(length=12), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "author_type IN ('customer', 'staff')", name=op.f("ck_ticket_messages_author_type")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id", "ticket_id"],
            ["tickets.merchant_id", "tickets.id"],
            name=op.f("fk_ticket_messages_merchant_id_ticket_id_tickets"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "id", name=op.f("pk_ticket_messages")),
    )
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_messages_merchant_id_ticket_id_created_at"),
            ["merchant_id", "ticket_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_messages_merchant_id_ticket_id_created_at"))

    op.drop_table("ticket_messages")
    op.drop_table("ticket_breaches")
    with op.batch_alter_table("service_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_visits_merchant_id_schedule_id_visited_on"))

    op.drop_table("service_visits")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_merchant_id_status_resolution_due_at"))
        batch_op.drop_index(batch_op.f("ix_tickets_merchant_id_customer_id"))

    op.drop_table("tickets")
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveys_merchant_id_customer_id"))
        batch_op.drop_index(batch_op.f("ix_surveys_merchant_id_answered_at"))

    op.drop_table("surveys")
    with op.batch_alter_table("service_schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_schedules_merchant_id_customer_id"))
        batch_op.drop_index(batch_op.f("ix_service_schedules_merchant_id_active_next_due_on"))

    op.drop_table("service_schedules")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_merchant_id_status_created_at"))
        batch_op.drop_index(batch_op.f("ix_reviews_merchant_id_customer_id"))

    op.drop_table("reviews")
    op.drop_table("engagement_awards")
    op.drop_table("feedback_settings")

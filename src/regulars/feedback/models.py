"""Listening to customers: surveys after a purchase, complaint tickets with service-level
targets, and reviews or social posts that staff approve for points.

Once-only rules live in the tables: a survey token is answered by one conditional UPDATE
(`answered_at IS NULL`), a review is approved by one conditional UPDATE (`status = 'pending'`),
an SLA breach alert is one row per (ticket, kind), and an engagement award is one row per
(customer, what, ref). A second attempt, however concurrent, finds the row taken and does nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from regulars.kit import clock
from regulars.kit.models import Base, TenantMixin


def _customer_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["merchant_id", "customer_id"], ["customers.merchant_id", "customers.id"]
    )


class FeedbackSettings(Base):
    """Per merchant: SLA targets, business hours, survey after purchase (docs/feedback.md). One
    row per merchant and `part` (only "feedback" so far), so the key stays (merchant_id, ...)."""

    __tablename__ = "feedback_settings"
    __table_args__ = (ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),)

    merchant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    part: Mapped[str] = mapped_column(String(16), primary_key=True, default="feedback")
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class Survey(TenantMixin, Base):
    __tablename__ = "surveys"
    __table_args__ = (
        _customer_fk(),
        UniqueConstraint("merchant_id", "token_hash"),
        UniqueConstraint("merchant_id", "purchase_id"),
        CheckConstraint("kind IN ('nps', 'csat')", name="kind"),
        CheckConstraint(
            "score IS NULL OR (kind = 'nps' AND score BETWEEN 0 AND 10)"
            " OR (kind = 'csat' AND score BETWEEN 1 AND 5)",
            name="score",
        ),
        Index(None, "merchant_id", "answered_at"),
        Index(None, "merchant_id", "customer_id"),
    )

    customer_id: Mapped[uuid.UUID]
    purchase_id: Mapped[uuid.UUID | None]
    kind: Mapped[str] = mapped_column(String(8))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    score: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)


class Ticket(TenantMixin, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        _customer_fk(),
        CheckConstraint("priority IN ('urgent', 'high', 'normal', 'low')", name="priority"),
        CheckConstraint("status IN ('open', 'pending', 'resolved', 'closed')", name="status"),
        Index(None, "merchant_id", "status", "resolution_due_at"),
        Index(None, "merchant_id", "customer_id"),
    )

    customer_id: Mapped[uuid.UUID]
    category: Mapped[str] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="open")
    assignee_id: Mapped[uuid.UUID | None]
    source: Mapped[str] = mapped_column(String(16), default="api")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    first_response_due_at: Mapped[datetime]
    resolution_due_at: Mapped[datetime]
    first_responded_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]


class TicketMessage(TenantMixin, Base):
    __tablename__ = "ticket_messages"
    __table_args__ = (
        ForeignKeyConstraint(["merchant_id", "ticket_id"], ["tickets.merchant_id", "tickets.id"]),
        Index(None, "merchant_id", "ticket_id", "created_at"),
        CheckConstraint("author_type IN ('customer', 'staff')", name="author_type"),
    )

    ticket_id: Mapped[uuid.UUID]
    author_type: Mapped[str] = mapped_column(String(12))
    author_id: Mapped[uuid.UUID | None]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class TicketBreach(Base):
    """One alert per ticket and target missed; the key makes a second run of the job a no-op."""

    __tablename__ = "ticket_breaches"
    __table_args__ = (
        ForeignKeyConstraint(["merchant_id", "ticket_id"], ["tickets.merchant_id", "tickets.id"]),
        CheckConstraint("kind IN ('first_response', 'resolution')", name="kind"),
    )

    merchant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    due_at: Mapped[datetime]
    alerted_at: Mapped[datetime] = mapped_column(default=clock.now)


class Review(TenantMixin, Base):
    __tablename__ = "reviews"
    __table_args__ = (
        _customer_fk(),
        CheckConstraint("kind IN ('review', 'post')", name="kind"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
        Index(None, "merchant_id", "status", "created_at"),
        Index(None, "merchant_id", "customer_id"),
    )

    customer_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(8))
    rating: Mapped[int | None]
    body: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    points_awarded: Mapped[int] = mapped_column(default=0)
    decided_by: Mapped[uuid.UUID | None]
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class EngagementAward(Base):
    """Points given for something a customer did (a survey, a review, a complete profile): the
    key (customer, what, ref) lets each be rewarded once."""

    __tablename__ = "engagement_awards"
    __table_args__ = (_customer_fk(),)

    merchant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    what: Mapped[str] = mapped_column(String(16), primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    points: Mapped[int]
    awarded_at: Mapped[datetime] = mapped_column(default=clock.now)

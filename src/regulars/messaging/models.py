"""Messaging tables: the outbox, per-merchant channel settings (secrets encrypted), anti-annoyance
settings, and the per-customer addresses a channel needs beyond phone and email."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from regulars.kit import clock
from regulars.kit.models import Base, TenantMixin

STATUSES = ("pending", "sending", "sent", "failed", "dead", "skipped")


class OutboxMessage(TenantMixin, Base):
    """One message to deliver (docs/messaging.md). Written in the transaction of the event that
    causes it; the worker claims due rows (`status` pending/failed, or a `sending` row whose
    lease `claimed_until` ran out), sends, and marks each sent with the provider's id."""

    __tablename__ = "outbox"
    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        UniqueConstraint("merchant_id", "dedupe_key"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "merchant_id", "customer_id", "category", "sent_at"),
    )

    kind: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(16))  # transactional | marketing
    customer_id: Mapped[uuid.UUID | None]
    channel: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(254))
    locale: Mapped[str | None] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    campaign_id: Mapped[uuid.UUID | None]
    variant: Mapped[str | None] = mapped_column(String(16))
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_error: Mapped[str | None] = mapped_column(Text)
    skip_reason: Mapped[str | None] = mapped_column(String(40))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]


class ChannelConfig(Base):
    """A merchant's settings for one channel: `config` holds what may be shown (host, sender,
    base URL), `secret` the Fernet token of the credentials (docs/messaging.md: the key)."""

    __tablename__ = "messaging_channels"
    __table_args__ = (ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),)

    merchant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class MessagingSettings(Base):
    """Anti-annoyance per merchant and message category; no row means the defaults
    (docs/messaging.md). Only `marketing` has rules: transactional messages are exempt."""

    __tablename__ = "messaging_settings"
    __table_args__ = (ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),)

    merchant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(16), primary_key=True, default="marketing")
    cap_messages: Mapped[int] = mapped_column(default=2)
    cap_days: Mapped[int] = mapped_column(default=7)
    quiet_start: Mapped[str] = mapped_column(String(5), default="21:00")  # HH:MM local
    quiet_end: Mapped[str] = mapped_column(String(5), default="08:00")
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class CustomerAddress(Base):
    """An address a channel needs that the customer record has no column for: a Telegram chat
    id, a LINE user id, a Viber user id (phone and email live on the customer)."""

    __tablename__ = "customer_channel_addresses"
    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "customer_id"], ["customers.merchant_id", "customers.id"]
        ),
    )

    merchant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    address: Mapped[str] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)

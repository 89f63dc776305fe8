"""Customer tables. Phone (E.164) and email are unique per merchant; erasure blanks them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regulars.kit import clock
from regulars.kit.models import Base, TenantMixin

CHANNELS = ("email", "sms", "whatsapp", "viber", "line", "telegram")


class Customer(TenantMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        ForeignKeyConstraint(["merchant_id", "store_id"], ["stores.merchant_id", "stores.id"]),
        UniqueConstraint("merchant_id", "member_code"),
        UniqueConstraint("merchant_id", "phone"),
        UniqueConstraint("merchant_id", "email"),
        Index(None, "merchant_id", "name_search"),
    )

    member_code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(200))
    # Folded form of the name for search: NFC, Zawgyi converted, case and marks folded.
    name_search: Mapped[str] = mapped_column(String(400), default="")
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    birthday: Mapped[date | None]
    anniversary: Mapped[date | None]
    locale: Mapped[str | None] = mapped_column(String(16))
    # The channel the customer would rather hear from; messages fall back by consent.
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    tags: Mapped[list[str]] = mapped_column(default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    store_id: Mapped[uuid.UUID | None]
    source: Mapped[str] = mapped_column(String(16), default="api")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    erased_at: Mapped[datetime | None]
    # Set on the erased row a merge leaves behind: the customer it became (docs/loyalty.md).
    merged_into_id: Mapped[uuid.UUID | None]

    consents: Mapped[list[Consent]] = relationship(
        lazy="raise", order_by="Consent.channel", cascade="all, delete-orphan"
    )

    if TYPE_CHECKING:
        # The points account (balance, tier), read along with the customer and never written
        # here; loyalty/models.py maps it, loyalty's table being loyalty's own.
        account: Any

    @property
    def consent(self) -> dict[str, Consent]:
        return {c.channel: c for c in self.consents}

    @property
    def points_balance(self) -> int:
        return self.account.balance if self.account is not None else 0

    @property
    def tier(self) -> str | None:
        return self.account.tier_code if self.account is not None else None


class Consent(Base):
    """Current consent per channel; every change is also an audit event (the history)."""

    __tablename__ = "customer_consents"
    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "customer_id"], ["customers.merchant_id", "customers.id"]
        ),
        CheckConstraint(
            "channel IN ('email', 'sms', 'whatsapp', 'viber', 'line', 'telegram')", name="channel"
        ),
    )

    merchant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    granted: Mapped[bool]
    source: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class Note(TenantMixin, Base):
    __tablename__ = "customer_notes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "customer_id"], ["customers.merchant_id", "customers.id"]
        ),
        Index(None, "merchant_id", "customer_id", "created_at"),
    )

    customer_id: Mapped[uuid.UUID]
    body: Mapped[str] = mapped_column(Text)
    author_type: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class ImportJob(TenantMixin, Base):
    """A CSV import: progress for the page's bar, counts, and the row-by-row report (CSV)."""

    __tablename__ = "import_jobs"
    __table_args__ = (ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),)

    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    merge: Mapped[bool] = mapped_column(default=False)
    signup_bonus: Mapped[bool] = mapped_column(default=False)  # new customers get sign-up points
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    imported: Mapped[int] = mapped_column(default=0)
    merged: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    report: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Written with every batch: a running job that has not moved for a while was cut off.
    updated_at: Mapped[datetime | None] = mapped_column(default=clock.now)
    finished_at: Mapped[datetime | None]


class PortalCode(TenantMixin, Base):
    """A one-time sign-in code for the customer portal; only its hash is stored."""

    __tablename__ = "portal_codes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "customer_id"], ["customers.merchant_id", "customers.id"]
        ),
        Index(None, "merchant_id", "customer_id", "created_at"),
    )

    customer_id: Mapped[uuid.UUID]
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

"""Loyalty tables. `points_entries` is append-only; `loyalty_accounts.balance` is the running sum,
updated in the same transaction as each entry (DESIGN.md invariant 3)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regulars.customers.models import Customer
from regulars.kit import clock
from regulars.kit.models import Base, TenantMixin

ENTRY_KINDS = (
    "earn", "bonus", "redeem", "payment", "refund", "expire", "adjust", "referral"
)  # fmt: skip


def _customer_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["merchant_id", "customer_id"], ["customers.merchant_id", "customers.id"]
    )


class ProgramVersion(TenantMixin, Base):
    """Each save is a new version; sales record the version they were priced with."""

    __tablename__ = "program_versions"
    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        UniqueConstraint("merchant_id", "version"),
    )

    version: Mapped[int]
    config: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None]


class LoyaltyAccount(Base):
    __tablename__ = "loyalty_accounts"
    __table_args__ = (_customer_fk(),)

    merchant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    lifetime_earned: Mapped[int] = mapped_column(BigInteger, default=0)
    # Spend over the tier window, as of the last sale, refund or daily recompute.
    qualifying_spend: Mapped[int] = mapped_column(BigInteger, default=0)
    tier_code: Mapped[str | None] = mapped_column(String(32))
    tier_since: Mapped[datetime | None]
    # Set when qualifying spend fell below the current tier; the downgrade waits out the grace.
    below_tier_since: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class PointsEntry(TenantMixin, Base):
    __tablename__ = "points_entries"
    __table_args__ = (
        _customer_fk(),
        CheckConstraint("points <> 0", name="nonzero"),
        CheckConstraint(
            "kind IN ('earn', 'bonus', 'redeem', 'payment', 'refund', 'expire', 'adjust',"
            " 'referral')",
            name="kind",
        ),
        Index(None, "merchant_id", "customer_id", "id"),
    )

    customer_id: Mapped[uuid.UUID]
    points: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200))
    purchase_id: Mapped[uuid.UUID | None]
    voucher_id: Mapped[uuid.UUID | None]
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None]
    # Loaded explicitly (selectinload) where entries are shown to anyone.
    customer_message: Mapped[EntryMessage | None] = relationship(
        "EntryMessage", viewonly=True, lazy="raise", uselist=False
    )

    @property
    def message(self) -> str | None:
        return self.customer_message.message if self.customer_message is not None else None


class EntryMessage(Base):
    """What the customer reads for an adjustment instead of its reason, which is the manager's
    internal note. Apart from `points_entries` because few entries have one, and the sale's
    prebuilt INSERT of entries stays as it is."""

    __tablename__ = "points_entry_messages"
    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "entry_id"], ["points_entries.merchant_id", "points_entries.id"]
        ),
    )

    merchant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    message: Mapped[str] = mapped_column(String(200))


class StampProgress(Base):
    __tablename__ = "stamp_progress"
    __table_args__ = (_customer_fk(), CheckConstraint("stamps >= 0", name="stamps"))

    merchant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    card_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    stamps: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class TierChange(TenantMixin, Base):
    __tablename__ = "tier_changes"
    __table_args__ = (_customer_fk(), Index(None, "merchant_id", "customer_id", "at"))

    customer_id: Mapped[uuid.UUID]
    from_tier: Mapped[str | None] = mapped_column(String(32))
    to_tier: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=clock.now)


class Reward(TenantMixin, Base):
    __tablename__ = "rewards"
    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        CheckConstraint("kind IN ('free_item', 'amount_off', 'percent_off')", name="kind"),
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock"),
        CheckConstraint("cost_points > 0", name="cost"),
    )

    name: Mapped[str] = mapped_column(String(120))
    # The name in other languages, {lang: text}; `name` is the shop's language and the fallback.
    names: Mapped[dict[str, Any]] = mapped_column(default=dict)
    kind: Mapped[str] = mapped_column(String(16))
    cost_points: Mapped[int]
    amount: Mapped[int] = mapped_column(BigInteger, default=0)  # minor units, amount_off
    percent: Mapped[int] = mapped_column(default=0)  # for percent_off
    sku: Mapped[str | None] = mapped_column(String(64))  # the free item
    stock: Mapped[int | None]
    valid_days: Mapped[int] = mapped_column(default=30)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Voucher(TenantMixin, Base):
    """A single-use code. Used exactly once: `UPDATE ... WHERE status = 'issued'` decides."""

    __tablename__ = "vouchers"
    __table_args__ = (
        _customer_fk(),
        UniqueConstraint("merchant_id", "code"),
        CheckConstraint("status IN ('issued', 'used', 'void')", name="status"),
        Index(None, "merchant_id", "customer_id", "status"),
        # One voucher per redemption request: a retried POS or portal request replays it.
        Index(
            "uq_vouchers_merchant_id_request_key",
            "merchant_id",
            "request_key",
            unique=True,
            sqlite_where=text("request_key IS NOT NULL"),
            postgresql_where=text("request_key IS NOT NULL"),
        ),
    )

    code: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[uuid.UUID]
    reward_id: Mapped[uuid.UUID | None]
    source: Mapped[str] = mapped_column(String(16))  # redemption | stamp_card
    name: Mapped[str] = mapped_column(String(120))
    names: Mapped[dict[str, Any]] = mapped_column(default=dict)  # as the reward's, when issued
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    percent: Mapped[int] = mapped_column(default=0)
    sku: Mapped[str | None] = mapped_column(String(64))
    points_cost: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(8), default="issued")
    issued_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    purchase_id: Mapped[uuid.UUID | None]
    request_key: Mapped[str | None] = mapped_column(String(64))


# A customer's points account, read along with the customer (the customer list and page show the
# balance and tier); loyalty's table, so it is mapped from here.
Customer.account = relationship(
    LoyaltyAccount,
    primaryjoin=and_(
        LoyaltyAccount.merchant_id == Customer.merchant_id,
        LoyaltyAccount.customer_id == Customer.id,
    ),
    foreign_keys=[LoyaltyAccount.merchant_id, LoyaltyAccount.customer_id],
    viewonly=True,
    lazy="raise",
    uselist=False,
)

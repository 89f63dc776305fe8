"""Coupon campaigns, their codes, who used them. Every key starts with merchant_id.

The guards against using a coupon more often than allowed live in the database:
- a single-use code is taken by `UPDATE coupon_codes SET used_at = ... WHERE used_at IS NULL`;
- a campaign's `total_limit` by `UPDATE coupon_campaigns SET used = used + 1 WHERE used <
  total_limit` (and CHECK used <= total_limit);
- a customer's `per_customer_limit` by an upsert of their counter row in `coupon_customer_uses`
  whose update only fires while `used` is below the limit;
- one redemption per code and sale by the unique key of `coupon_redemptions`.
Codes are unique per merchant (shared campaign codes and generated codes alike).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from regulars.kit import clock
from regulars.kit.models import Base, TenantMixin

KINDS = ("percent_off", "amount_off", "free_item")


class CouponCampaign(TenantMixin, Base):
    __tablename__ = "coupon_campaigns"
    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        CheckConstraint("kind IN ('percent_off', 'amount_off', 'free_item')", name="kind"),
        CheckConstraint("value >= 0", name="value"),
        CheckConstraint("total_limit IS NULL OR used <= total_limit", name="total_limit"),
        CheckConstraint("used >= 0", name="used"),
    )

    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[int] = mapped_column(
        BigInteger
    )  # percent for percent_off, minor units for amount_off, 0 for free_item
    sku: Mapped[str | None] = mapped_column(String(64))  # the free item
    min_spend: Mapped[int] = mapped_column(BigInteger, default=0)
    skus: Mapped[list[str]] = mapped_column(default=list)
    categories: Mapped[list[str]] = mapped_column(default=list)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    total_limit: Mapped[int | None]
    per_customer_limit: Mapped[int | None]
    tiers: Mapped[list[str]] = mapped_column(default=list)
    stackable: Mapped[bool] = mapped_column(default=False)
    release_on_refund: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    used: Mapped[int] = mapped_column(default=0)  # counted only while total_limit is set
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class CouponCode(TenantMixin, Base):
    """A code that applies a campaign: the campaign's shared code (`single_use` false), a
    generated single-use code, or a personal code for one customer until `expires_at`."""

    __tablename__ = "coupon_codes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "campaign_id"], ["coupon_campaigns.merchant_id", "coupon_campaigns.id"]
        ),
        ForeignKeyConstraint(
            ["merchant_id", "customer_id"], ["customers.merchant_id", "customers.id"]
        ),
        UniqueConstraint("merchant_id", "code"),
        Index(None, "merchant_id", "campaign_id", "id"),
    )

    campaign_id: Mapped[uuid.UUID]
    code: Mapped[str] = mapped_column(String(32))  # normalized: upper case, no dashes
    single_use: Mapped[bool] = mapped_column(default=True)
    customer_id: Mapped[uuid.UUID | None]  # a personal code
    expires_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]
    purchase_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class CouponCustomerUse(Base):
    """How often a customer has used a campaign (kept while the campaign has a per-customer
    limit); the row the limit is enforced on."""

    __tablename__ = "coupon_customer_uses"
    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "campaign_id"], ["coupon_campaigns.merchant_id", "coupon_campaigns.id"]
        ),
        ForeignKeyConstraint(
            ["merchant_id", "customer_id"], ["customers.merchant_id", "customers.id"]
        ),
        CheckConstraint("used >= 0", name="used"),
    )

    merchant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    used: Mapped[int] = mapped_column(default=0)


class CouponRedemption(TenantMixin, Base):
    """A code used in a sale, with the discount it gave; `released_at` when a full refund gave
    the use back."""

    __tablename__ = "coupon_redemptions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "code_id"], ["coupon_codes.merchant_id", "coupon_codes.id"]
        ),
        ForeignKeyConstraint(
            ["merchant_id", "purchase_id"], ["purchases.merchant_id", "purchases.id"]
        ),
        UniqueConstraint("merchant_id", "purchase_id", "code_id"),
        Index(None, "merchant_id", "campaign_id", "created_at"),
    )

    campaign_id: Mapped[uuid.UUID]
    code_id: Mapped[uuid.UUID]
    purchase_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID | None]
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    released_at: Mapped[datetime | None]


class CodeJob(TenantMixin, Base):
    """Codes being generated for a campaign in the background: its progress."""

    __tablename__ = "coupon_code_jobs"
    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "campaign_id"], ["coupon_campaigns.merchant_id", "coupon_campaigns.id"]
        ),
    )

    campaign_id: Mapped[uuid.UUID]
    count: Mapped[int]
    done: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|done|failed
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    finished_at: Mapped[datetime | None]

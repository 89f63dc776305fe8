"""Referral tables. A friend is brought by at most one referrer (unique `friend_id`); the
referrer's reward is decided by one conditional UPDATE of `status` (pending -> rewarded), so a
replayed or concurrent sale rewards once."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from regulars.kit import clock
from regulars.kit.models import Base, TenantMixin

CODE_KINDS = ("referral", "family")
STATUSES = ("pending", "rewarded", "reversed")


def _customer_fk(column: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["merchant_id", column], ["customers.merchant_id", "customers.id"])


class ReferralCode(TenantMixin, Base):
    """A member's code to hand on: `referral` for every member, `family` (friends and family) for
    members of the tiers the program names."""

    __tablename__ = "referral_codes"
    __table_args__ = (
        _customer_fk("customer_id"),
        UniqueConstraint("merchant_id", "code"),
        UniqueConstraint("merchant_id", "customer_id", "kind"),
        CheckConstraint("kind IN ('referral', 'family')", name="kind"),
    )

    customer_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Referral(TenantMixin, Base):
    __tablename__ = "referrals"
    __table_args__ = (
        _customer_fk("referrer_id"),
        _customer_fk("friend_id"),
        UniqueConstraint("merchant_id", "friend_id"),
        Index(None, "merchant_id", "referrer_id", "created_at"),
        Index(None, "merchant_id", "purchase_id"),
        CheckConstraint("status IN ('pending', 'rewarded', 'reversed')", name="status"),
        CheckConstraint("referrer_id <> friend_id", name="not_self"),
    )

    referrer_id: Mapped[uuid.UUID]
    friend_id: Mapped[uuid.UUID]
    code_kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # The friend's first qualifying purchase, and what it gave the referrer.
    purchase_id: Mapped[uuid.UUID | None]
    reward_points: Mapped[int] = mapped_column(default=0)
    rewarded_at: Mapped[datetime | None]
    reversed_at: Mapped[datetime | None]

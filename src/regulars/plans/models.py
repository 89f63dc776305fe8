"""Installment plans: the offers a shop makes, the plans customers take, their schedules and the
payments made on them (docs/plans.md).

A plan keeps `paid` as its running figure. A payment adds to it with one guarded UPDATE
(`paid + amount <= total`), so no concurrency can take a plan past its total, and a CHECK keeps
the same rule in the table. Installments are filled oldest first from that figure, so their
`paid` columns always add up to the plan's.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

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

PLAN_STATUSES = ("open", "overdue", "completed")
INSTALLMENT_STATUSES = ("open", "overdue", "paid")


def _customer_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["merchant_id", "customer_id"], ["customers.merchant_id", "customers.id"]
    )


def _plan_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["merchant_id", "plan_id"], ["payment_plans.merchant_id", "payment_plans.id"]
    )


class PlanOffer(TenantMixin, Base):
    __tablename__ = "payment_plan_offers"
    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        UniqueConstraint("merchant_id", "name"),
        CheckConstraint("installments >= 1", name="installments"),
        CheckConstraint("interval_months >= 1", name="interval_months"),
        CheckConstraint(
            "down_payment_percent >= 0 AND down_payment_percent < 100", name="down_payment_percent"
        ),
        CheckConstraint("fee >= 0", name="fee"),
        CheckConstraint("min_price >= 1 AND max_price >= min_price", name="price_range"),
    )

    name: Mapped[str] = mapped_column(String(120))
    installments: Mapped[int]  # payments after the down payment
    interval_months: Mapped[int]
    down_payment_percent: Mapped[int]  # of the principal, floored
    fee: Mapped[int] = mapped_column(BigInteger)  # minor units, added to the amount owed
    min_price: Mapped[int] = mapped_column(BigInteger)
    max_price: Mapped[int] = mapped_column(BigInteger)
    min_visits: Mapped[int] = mapped_column(default=0)
    min_spend: Mapped[int] = mapped_column(BigInteger, default=0)  # lifetime, minor units
    max_open_plans: Mapped[int] = mapped_column(default=1)  # per customer, any offer
    late_days: Mapped[int] = mapped_column(default=7)  # an earlier payment later than this: refused
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class PaymentPlan(TenantMixin, Base):
    __tablename__ = "payment_plans"
    __table_args__ = (
        _customer_fk(),
        ForeignKeyConstraint(
            ["merchant_id", "offer_id"],
            ["payment_plan_offers.merchant_id", "payment_plan_offers.id"],
        ),
        CheckConstraint("principal >= 1", name="principal"),
        CheckConstraint("paid >= 0 AND paid <= total", name="paid"),
        CheckConstraint("total = principal + fee", name="total"),
        CheckConstraint("status IN ('open', 'overdue', 'completed')", name="status"),
        Index(None, "merchant_id", "customer_id"),
        Index(None, "merchant_id", "status"),
    )

    customer_id: Mapped[uuid.UUID]
    offer_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(120))  # the offer's name when taken
    principal: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
    interval_months: Mapped[int]
    first_due: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    completed_at: Mapped[datetime | None]

    @property
    def remaining(self) -> int:
        return self.total - self.paid


class Installment(Base):
    __tablename__ = "payment_plan_installments"
    __table_args__ = (
        _plan_fk(),
        CheckConstraint("amount >= 0", name="amount"),
        CheckConstraint("paid >= 0 AND paid <= amount", name="paid"),
        CheckConstraint("status IN ('open', 'overdue', 'paid')", name="status"),
        Index(None, "merchant_id", "status", "due_on"),
    )

    merchant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)  # 0 = first due
    down_payment: Mapped[bool] = mapped_column(default=False)
    due_on: Mapped[date]  # the shop's calendar
    amount: Mapped[int] = mapped_column(BigInteger)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")
    paid_on: Mapped[date | None]  # the shop's day the installment was paid in full
    points_awarded: Mapped[bool] = mapped_column(default=False)


class PlanPayment(TenantMixin, Base):
    """One payment, kept with the answer it got so that a replay returns it unchanged."""

    __tablename__ = "payment_plan_payments"
    __table_args__ = (
        _plan_fk(),
        UniqueConstraint("merchant_id", "payment_id"),
        CheckConstraint("amount >= 1", name="amount"),
        Index(None, "merchant_id", "plan_id"),
    )

    plan_id: Mapped[uuid.UUID]
    payment_id: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(BigInteger)
    answer: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None]

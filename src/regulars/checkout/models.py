"""Sales. A sale is identified by (merchant, store, receipt_id): the unique index is the
idempotency lock (DESIGN.md invariant 4)."""

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
)
from sqlalchemy.orm import Mapped, mapped_column

from regulars.kit import clock
from regulars.kit.models import Base, TenantMixin


class Purchase(TenantMixin, Base):
    __tablename__ = "purchases"
    __table_args__ = (
        ForeignKeyConstraint(["merchant_id", "store_id"], ["stores.merchant_id", "stores.id"]),
        ForeignKeyConstraint(
            ["merchant_id", "customer_id"], ["customers.merchant_id", "customers.id"]
        ),
        UniqueConstraint("merchant_id", "store_id", "receipt_id"),
        # A customer's sales in time order; total and refunded_total ride along so that the
        # nightly RFM and the dashboard's per-customer figures read the index alone.
        Index(None, "merchant_id", "customer_id", "created_at", "total", "refunded_total"),
        CheckConstraint("total >= 0", name="total"),
    )

    store_id: Mapped[uuid.UUID]
    receipt_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[uuid.UUID | None]
    request_hash: Mapped[str] = mapped_column(String(64))
    program_version: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(BigInteger)
    discount_total: Mapped[int] = mapped_column(BigInteger)
    points_redeemed: Mapped[int] = mapped_column(BigInteger)
    points_value: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)  # paid in money
    points_earned: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_total: Mapped[int] = mapped_column(BigInteger, default=0)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class PurchaseLine(Base):
    __tablename__ = "purchase_lines"
    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "purchase_id"], ["purchases.merchant_id", "purchases.id"]
        ),
        CheckConstraint("refunded_quantity <= quantity", name="refunded"),
    )

    merchant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    purchase_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    line_no: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    unit_price: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger)
    net: Mapped[int] = mapped_column(BigInteger)
    refunded_quantity: Mapped[int] = mapped_column(default=0)


class Refund(TenantMixin, Base):
    __tablename__ = "refunds"
    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "purchase_id"], ["purchases.merchant_id", "purchases.id"]
        ),
        UniqueConstraint("merchant_id", "purchase_id", "refund_id"),
    )

    purchase_id: Mapped[uuid.UUID]
    refund_id: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    points_reversed: Mapped[int] = mapped_column(BigInteger)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

"""Analytics caches, written by the daily `analytics.refresh` job, never on a sale's path.

`analytics_rfm` holds one row per customer who has bought: the RFM scores and the named segment
(docs/analytics.md). Other domains (a segment rule) join it on (merchant_id, customer_id).
`analytics_snapshots` holds figures computed as a whole (the cohort matrix), as JSON."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from regulars.kit import clock
from regulars.kit.models import Base

SEGMENTS = (
    "champions", "loyal", "potential_loyalists", "new", "at_risk", "cant_lose", "hibernating",
    "lost",
)  # fmt: skip


class RfmScore(Base):
    __tablename__ = "analytics_rfm"
    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "customer_id"], ["customers.merchant_id", "customers.id"]
        ),
        CheckConstraint(
            "r BETWEEN 1 AND 5 AND f BETWEEN 1 AND 5 AND m BETWEEN 1 AND 5", name="scores"
        ),
        Index(None, "merchant_id", "segment"),
    )

    merchant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    last_purchase_at: Mapped[datetime]
    purchases: Mapped[int]
    monetary: Mapped[int] = mapped_column(BigInteger)  # net spend, minor units
    r: Mapped[int] = mapped_column(SmallInteger)
    f: Mapped[int] = mapped_column(SmallInteger)
    m: Mapped[int] = mapped_column(SmallInteger)
    segment: Mapped[str] = mapped_column(String(24))
    computed_at: Mapped[datetime] = mapped_column(default=clock.now)


class Snapshot(Base):
    __tablename__ = "analytics_snapshots"
    __table_args__ = (ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),)

    merchant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    data: Mapped[dict[str, Any]]
    computed_at: Mapped[datetime] = mapped_column(default=clock.now)

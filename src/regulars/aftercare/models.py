"""After-sales service (S1): a schedule per purchased item (a car's oil change every 6 months or
5,000 km), and the log of visits with the odometer. The next due date and distance are kept on
the schedule, moved by each visit, so the due lists are one indexed read."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from regulars.kit import clock
from regulars.kit.models import Base, TenantMixin


class ServiceSchedule(TenantMixin, Base):
    __tablename__ = "service_schedules"
    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "customer_id"], ["customers.merchant_id", "customers.id"]
        ),
        CheckConstraint("every_months IS NOT NULL OR every_km IS NOT NULL", name="interval"),
        CheckConstraint("every_months IS NULL OR every_months > 0", name="every_months"),
        CheckConstraint("every_km IS NULL OR every_km > 0", name="every_km"),
        Index(None, "merchant_id", "active", "next_due_on"),
        Index(None, "merchant_id", "customer_id"),
    )

    customer_id: Mapped[uuid.UUID]
    item: Mapped[str] = mapped_column(String(120))  # "Toyota Vios, plate ABC-1234"
    service: Mapped[str] = mapped_column(String(120))  # "Oil change"
    sku: Mapped[str | None] = mapped_column(String(64))
    purchase_id: Mapped[uuid.UUID | None]
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    every_months: Mapped[int | None]
    every_km: Mapped[int | None]
    last_service_on: Mapped[date]
    last_odometer_km: Mapped[int | None] = mapped_column(BigInteger)
    next_due_on: Mapped[date | None]
    next_due_km: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class ServiceVisit(TenantMixin, Base):
    __tablename__ = "service_visits"
    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "schedule_id"],
            ["service_schedules.merchant_id", "service_schedules.id"],
        ),
        Index(None, "merchant_id", "schedule_id", "visited_on"),
        CheckConstraint("odometer_km IS NULL OR odometer_km >= 0", name="odometer"),
    )

    schedule_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID]
    visited_on: Mapped[date]
    odometer_km: Mapped[int | None] = mapped_column(BigInteger)
    notes: Mapped[str | None] = mapped_column(Text)
    voucher_id: Mapped[uuid.UUID | None]  # a free inspection (a tier perk) used for this visit
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

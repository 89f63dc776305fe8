from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import Field

from regulars.kit.schemas import Schema


class ScheduleCreate(Schema):
    customer_id: uuid.UUID
    item: str = Field(min_length=1, max_length=120, description="What is serviced, e.g. the car")
    service: str = Field(min_length=1, max_length=120, description="e.g. Oil change")
    sku: str | None = Field(default=None, max_length=64)
    purchase_id: uuid.UUID | None = None
    attributes: dict[str, Any] = Field(default_factory=dict, description="e.g. plate, VIN")
    every_months: int | None = Field(default=None, ge=1, le=120)
    every_km: int | None = Field(default=None, ge=1, le=1_000_000)
    start_on: date | None = Field(default=None, description="Last service or sale; default today")
    odometer_km: int | None = Field(default=None, ge=0, le=10_000_000)


class ScheduleOut(Schema):
    id: uuid.UUID
    customer_id: uuid.UUID
    item: str
    service: str
    sku: str | None
    purchase_id: uuid.UUID | None
    attributes: dict[str, Any]
    every_months: int | None
    every_km: int | None
    last_service_on: date
    last_odometer_km: int | None
    next_due_on: date | None
    next_due_km: int | None
    active: bool
    created_at: datetime


class VisitCreate(Schema):
    visited_on: date | None = Field(default=None, description="Default: today, shop time")
    odometer_km: int | None = Field(default=None, ge=0, le=10_000_000)
    notes: str | None = Field(default=None, max_length=2000)
    voucher_code: str | None = Field(
        default=None, max_length=40, description="A free-inspection voucher to use for it"
    )


class VisitOut(Schema):
    id: uuid.UUID
    schedule_id: uuid.UUID
    visited_on: date
    odometer_km: int | None
    notes: str | None
    voucher_id: uuid.UUID | None
    created_at: datetime


class ScheduleDetail(ScheduleOut):
    visits: list[VisitOut]

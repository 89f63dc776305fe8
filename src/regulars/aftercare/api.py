from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query

from regulars.aftercare import service
from regulars.aftercare.schemas import (
    ScheduleCreate,
    ScheduleDetail,
    ScheduleOut,
    VisitCreate,
    VisitOut,
)
from regulars.merchants.auth import Tx, tx

router = APIRouter(tags=["aftercare"])


@router.post("/service-schedules", response_model=ScheduleOut, status_code=201)
def create_schedule(body: ScheduleCreate, t: Tx = Depends(tx)) -> object:
    """Every `every_months` and/or every `every_km` from `start_on` (and `odometer_km`)."""
    return t(service.create_schedule, body)


@router.get("/service-schedules/due", response_model=list[ScheduleOut])
def due(within_days: int = Query(14, ge=0, le=365), t: Tx = Depends(tx)) -> object:
    """Due by date within `within_days` (overdue first) or past their distance."""
    return t(service.due, within_days)


@router.get("/customers/{customer_id}/service-schedules", response_model=list[ScheduleOut])
def customer_schedules(customer_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(service.list_for, customer_id)


@router.get("/service-schedules/{schedule_id}", response_model=ScheduleDetail)
def get_schedule(schedule_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(service.detail, schedule_id)


@router.post("/service-schedules/{schedule_id}/visits", response_model=VisitOut, status_code=201)
def record_visit(schedule_id: uuid.UUID, body: VisitCreate, t: Tx = Depends(tx)) -> object:
    """Moves the next due date and distance; `voucher_code` uses a free inspection once."""
    return t(service.record_visit, schedule_id, body)

"""After-sales service: schedules, visits, the due lists and free inspections.

A schedule is due every `every_months` from its last service and/or every `every_km` from the
last odometer reading, whichever comes first. The date is known ahead (`next_due_on`); the
distance is judged on the readings staff record (`next_due_km` against the newest odometer), so a
car that has run its kilometres shows as due at the visit that records it. A visit moves both.
"""

from __future__ import annotations

import calendar
import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from regulars.aftercare.models import ServiceSchedule, ServiceVisit
from regulars.aftercare.schemas import ScheduleCreate, VisitCreate
from regulars.customers import service as customers
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import InvalidField, NotFound
from regulars.loyalty import inspections
from regulars.merchants import service as merchants


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _move_due(schedule: ServiceSchedule) -> None:
    schedule.next_due_on = (
        add_months(schedule.last_service_on, schedule.every_months)
        if schedule.every_months
        else None
    )
    schedule.next_due_km = (
        schedule.last_odometer_km + schedule.every_km
        if schedule.every_km and schedule.last_odometer_km is not None
        else None
    )


def create_schedule(session: Session, ctx: Ctx, data: ScheduleCreate) -> ServiceSchedule:
    if data.every_months is None and data.every_km is None:
        raise InvalidField("every_months", "give every_months, every_km or both")
    if data.every_km is not None and data.odometer_km is None:
        raise InvalidField("odometer_km", "a schedule by distance needs today's reading")
    customers.get_customer(session, ctx, data.customer_id, details=False)
    schedule = ServiceSchedule(
        merchant_id=ctx.merchant_id,
        customer_id=data.customer_id,
        item=data.item.strip(),
        service=data.service.strip(),
        sku=data.sku,
        purchase_id=data.purchase_id,
        attributes=data.attributes,
        every_months=data.every_months,
        every_km=data.every_km,
        last_service_on=data.start_on or clock.today(ctx.merchant.timezone),
        last_odometer_km=data.odometer_km,
        active=True,
    )
    _move_due(schedule)
    session.add(schedule)
    session.flush()
    merchants.record_audit(session, ctx, "service.scheduled", "service_schedule", schedule.id)
    return schedule


def get(session: Session, ctx: Ctx, schedule_id: uuid.UUID) -> ServiceSchedule:
    found = session.get(ServiceSchedule, (ctx.merchant_id, schedule_id), populate_existing=True)
    if found is None:
        raise NotFound("service schedule not found")
    return found


def visits(session: Session, ctx: Ctx, schedule_id: uuid.UUID) -> list[ServiceVisit]:
    return list(
        session.scalars(
            select(ServiceVisit)
            .where(
                ServiceVisit.merchant_id == ctx.merchant_id, ServiceVisit.schedule_id == schedule_id
            )
            .order_by(ServiceVisit.visited_on.desc(), ServiceVisit.created_at.desc())
        )
    )


def detail(session: Session, ctx: Ctx, schedule_id: uuid.UUID) -> dict[str, Any]:
    schedule = get(session, ctx, schedule_id)
    columns = [c.key for c in ServiceSchedule.__table__.columns if c.key != "merchant_id"]
    return {c: getattr(schedule, c) for c in columns} | {
        "visits": visits(session, ctx, schedule_id)
    }


def record_visit(
    session: Session, ctx: Ctx, schedule_id: uuid.UUID, data: VisitCreate
) -> ServiceVisit:
    """Logs a visit and moves the next due date and distance from it. A free-inspection voucher
    given with it is used exactly once (404 unknown, 409 used: nothing is written)."""
    schedule = get(session, ctx, schedule_id)
    on = data.visited_on or clock.today(ctx.merchant.timezone)
    if on > clock.today(ctx.merchant.timezone):
        raise InvalidField("visited_on", "must not be in the future")
    last_km = schedule.last_odometer_km
    if data.odometer_km is not None and last_km is not None and data.odometer_km < last_km:
        raise InvalidField("odometer_km", f"lower than the last reading, {last_km} km")
    voucher_id = None
    if data.voucher_code:
        voucher_id = inspections.use(session, ctx, schedule.customer_id, data.voucher_code).id
    visit = ServiceVisit(
        merchant_id=ctx.merchant_id,
        schedule_id=schedule.id,
        customer_id=schedule.customer_id,
        visited_on=on,
        odometer_km=data.odometer_km,
        notes=(data.notes or "").strip() or None,
        voucher_id=voucher_id,
    )
    session.add(visit)
    if on >= schedule.last_service_on:
        schedule.last_service_on = on
        if data.odometer_km is not None:
            schedule.last_odometer_km = data.odometer_km
        _move_due(schedule)
    session.flush()
    return visit


def due(
    session: Session, ctx: Ctx, within_days: int = 14, customer_id: uuid.UUID | None = None
) -> list[ServiceSchedule]:
    """Active schedules due by date within `within_days` (overdue first), or past their
    distance on the newest reading."""
    today = clock.today(ctx.merchant.timezone)
    q = select(ServiceSchedule).where(
        ServiceSchedule.merchant_id == ctx.merchant_id,
        ServiceSchedule.active.is_(True),
        or_(
            ServiceSchedule.next_due_on <= today + timedelta(days=within_days),
            ServiceSchedule.last_odometer_km >= ServiceSchedule.next_due_km,
        ),
    )
    if customer_id is not None:
        q = q.where(ServiceSchedule.customer_id == customer_id)
    return list(session.scalars(q.order_by(ServiceSchedule.next_due_on, ServiceSchedule.id)))


def list_for(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> list[ServiceSchedule]:
    customers.get_customer(session, ctx, customer_id, details=False)  # 404 for another shop's
    return list(
        session.scalars(
            select(ServiceSchedule)
            .where(
                ServiceSchedule.merchant_id == ctx.merchant_id,
                ServiceSchedule.customer_id == customer_id,
            )
            .order_by(ServiceSchedule.next_due_on)
        )
    )


def state(schedule: ServiceSchedule, today: date) -> str:
    """`overdue`, `due` (within the reminder window of 7 days) or `later`."""
    if schedule.next_due_on is not None and schedule.next_due_on < today:
        return "overdue"
    km = schedule.last_odometer_km
    if km is not None and schedule.next_due_km is not None and km >= schedule.next_due_km:
        return "overdue"
    if schedule.next_due_on is not None and schedule.next_due_on <= today + timedelta(days=7):
        return "due"
    return "later"

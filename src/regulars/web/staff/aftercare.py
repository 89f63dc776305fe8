"""Staff pages for after-sales service: what is due and overdue, a new schedule for a customer's
item, and one schedule's visit log with the form that records a visit."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from regulars.aftercare import service
from regulars.aftercare.schemas import ScheduleCreate, VisitCreate
from regulars.customers import service as customers
from regulars.db import Database
from regulars.kit import clock
from regulars.kit.errors import InvalidField, ProblemError
from regulars.loyalty import inspections
from regulars.web.i18n import N_
from regulars.web.render import page
from regulars.web.routing import PageRoute, Staff, current_staff, database
from regulars.web.session import check_csrf
from regulars.web.staff.events import find_customer

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ERRORS = {
    "customer": N_("No customer with this phone number or member code."),
    "item": N_("Say what is serviced, e.g. the car and its plate."),
    "service": N_("Say which service, e.g. oil change."),
    "every_months": N_("Every how many months, or every how many km, or both."),
    "every_km": N_("A whole number of kilometres."),
    "odometer_km": N_("The odometer in km, not lower than the last reading."),
    "visited_on": N_("A day that is not in the future."),
    "voucher_code": N_("This free inspection code is unknown, used or expired."),
}


def _render(
    request: Request, staff: Staff, template: str, status: int = 200, **values: Any
) -> Response:
    return page(
        request, template, staff.lang, status=status, staff=staff, section="service",
        tz=staff.ctx.merchant.timezone, today=clock.today(staff.ctx.merchant.timezone),
        state=service.state, **values,
    )  # fmt: skip


def _list(
    request: Request, staff: Staff, db: Database, status: int = 200, **values: Any
) -> Response:
    def load(s: Session) -> dict[str, Any]:
        rows = service.due(s, staff.ctx, within_days=30)
        return {
            "rows": rows,
            "names": customers.names_of(s, staff.ctx, {r.customer_id for r in rows}),
        }

    values.setdefault("form", {})
    values.setdefault("errors", {})
    return _render(
        request, staff, "staff/service.html", status, **db.run(load, write=False), **values
    )


@router.get("/service")
def service_list(
    request: Request, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    return _list(request, staff, db)


def _int(text: str) -> int | None:
    text = text.strip().replace(",", "")
    return int(text) if text.isdigit() else None


@router.post("/service", dependencies=[Depends(check_csrf)])
async def create_schedule(
    request: Request, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    data = await request.form()
    form = {k: str(data.get(k, "")).strip()[:200] for k in
            ("customer", "item", "service", "every_months", "every_km", "odometer_km")}  # fmt: skip
    errors: dict[str, str] = {}
    for key in ("every_months", "every_km", "odometer_km"):
        if form[key] and _int(form[key]) is None:
            errors[key] = ERRORS[key]

    def work(s: Session) -> uuid.UUID:
        customer = find_customer(s, staff.ctx, form["customer"])
        body = ScheduleCreate(
            customer_id=customer.id, item=form["item"], service=form["service"],
            every_months=_int(form["every_months"]), every_km=_int(form["every_km"]),
            odometer_km=_int(form["odometer_km"]),
        )  # fmt: skip
        return service.create_schedule(s, staff.ctx, body).id

    if not errors:
        try:
            made = db.run(work)
            return RedirectResponse(f"/service/{made}", status_code=303)
        except InvalidField as exc:
            errors[exc.field] = ERRORS.get(exc.field, ERRORS["item"])
        except ValidationError as exc:
            errors |= {
                str(e["loc"][0]): ERRORS.get(str(e["loc"][0]), ERRORS["item"]) for e in exc.errors()
            }
    return _list(request, staff, db, 422, form=form, errors=errors)


def _detail(
    request: Request,
    staff: Staff,
    db: Database,
    schedule_id: uuid.UUID,
    status: int = 200,
    **values: Any,
) -> Response:
    def load(s: Session) -> dict[str, Any]:
        schedule = service.get(s, staff.ctx, schedule_id)
        return {
            "schedule": schedule,
            "visits": service.visits(s, staff.ctx, schedule_id),
            "customer": customers.get_customer(s, staff.ctx, schedule.customer_id, details=False),
            "free": inspections.open_for(s, staff.ctx, schedule.customer_id),
        }

    values.setdefault("form", {})
    values.setdefault("errors", {})
    return _render(
        request, staff, "staff/service_schedule.html", status, **db.run(load, write=False), **values
    )


@router.get("/service/{schedule_id}")
def schedule_page(
    request: Request,
    schedule_id: uuid.UUID,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    return _detail(request, staff, db, schedule_id)


@router.post("/service/{schedule_id}/visits", dependencies=[Depends(check_csrf)])
async def record_visit(
    request: Request,
    schedule_id: uuid.UUID,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    data = await request.form()
    form = {
        k: str(data.get(k, "")).strip()[:2000] for k in ("odometer_km", "notes", "voucher_code")
    }
    if form["odometer_km"] and _int(form["odometer_km"]) is None:
        return _detail(request, staff, db, schedule_id, 422, form=form,
                       errors={"odometer_km": ERRORS["odometer_km"]})  # fmt: skip
    body = VisitCreate(
        odometer_km=_int(form["odometer_km"]), notes=form["notes"] or None,
        voucher_code=form["voucher_code"] or None,
    )  # fmt: skip
    try:
        db.run(lambda s: service.record_visit(s, staff.ctx, schedule_id, body))
    except ProblemError as exc:
        field = exc.errors[0]["field"] if exc.errors else "voucher_code"
        if exc.status not in (404, 409, 422):
            raise
        return _detail(request, staff, db, schedule_id, 422, form=form,
                       errors={field: ERRORS.get(field, ERRORS["voucher_code"])})  # fmt: skip
    return RedirectResponse(f"/service/{schedule_id}#visits", status_code=303)

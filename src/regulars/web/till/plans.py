"""The till's payment-plan page at /pos/plans: find the customer (phone or member code), see
their plans, and take a payment into one.

Exactly once: each form carries a `payment_id` drawn when the page was drawn, so a double click
or a resent form replays the first payment instead of taking the money twice (docs/plans.md)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.db import Database
from regulars.kit.errors import InvalidField, NotFound
from regulars.plans import service as plans
from regulars.plans.errors import PaymentIdReused
from regulars.plans.schemas import PaymentCreate
from regulars.web.i18n import N_
from regulars.web.loyalty_view import to_minor
from regulars.web.render import page
from regulars.web.routing import PageRoute, Staff, current_staff, database
from regulars.web.session import check_csrf
from regulars.web.staff.events import NO_CUSTOMER, find_customer

router = APIRouter(route_class=PageRoute, include_in_schema=False)

BAD_AMOUNT = N_("Type an amount greater than zero.")
TOO_MUCH = N_("This is more than is left to pay on this plan.")
REUSED = N_("This payment was already recorded with another amount.")


def _till_page(
    request: Request,
    staff: Staff,
    db: Database,
    customer_id: uuid.UUID | None,
    typed: str = "",
    status: int = 200,
    error: str | None = None,
    paid: bool = False,
) -> Response:
    def load(s: Session) -> dict[str, Any]:
        if customer_id is None and not typed:
            return {"customer": None, "plans": []}
        try:
            if customer_id is not None:
                customer = customers.get_customer(s, staff.ctx, customer_id, details=False)
            else:
                customer = find_customer(s, staff.ctx, typed)
        except (NotFound, InvalidField):
            return {"customer": None, "plans": [], "missing": True}
        return {"customer": customer, "plans": plans.customer_plans(s, staff.ctx, customer.id)}

    view = db.run(load, write=False)
    if view.pop("missing", False):
        status, error = 404, NO_CUSTOMER
    return page(
        request, "till/plans.html", staff.lang, status=status, staff=staff, section="pos",
        typed=typed, error=error, paid=paid, new_id=lambda: uuid.uuid4().hex, **view,
    )  # fmt: skip


@router.get("/pos/plans")
def till_plans(
    request: Request,
    q: str = Query("", max_length=40),
    customer: uuid.UUID | None = None,
    paid: str = Query("", max_length=100),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    return _till_page(request, staff, db, customer, q.strip(), paid=bool(paid))


@router.post("/pos/plans/{plan_id}/payments", dependencies=[Depends(check_csrf)])
def take_payment(
    request: Request,
    plan_id: uuid.UUID,
    payment_id: str = Form(..., max_length=100),
    amount: str = Form("", max_length=40),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    plan = db.run(lambda s: plans.get_plan_row(s, staff.ctx, plan_id), write=False)
    customer_id = plan.customer_id
    try:
        data = PaymentCreate(
            payment_id=payment_id, amount=to_minor(amount, staff.ctx.merchant.currency)
        )
    except (ValueError, ValidationError):
        return _till_page(request, staff, db, customer_id, status=422, error=BAD_AMOUNT)
    try:
        answer, _replayed = db.run(lambda s: plans.pay(s, staff.ctx, plan_id, data))
    except InvalidField:
        return _till_page(request, staff, db, customer_id, status=422, error=TOO_MUCH)
    except PaymentIdReused:
        return _till_page(request, staff, db, customer_id, status=409, error=REUSED)
    url = f"/pos/plans?customer={customer_id}&paid={answer['payment_id']}#plan-{plan_id}"
    return RedirectResponse(url, status_code=303)

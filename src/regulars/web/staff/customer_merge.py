"""Staff page: merge two customers who are one person (manager and up). Find the other by
phone, member code or name, see both side by side, choose which one stays, confirm."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from regulars.customers import merge
from regulars.customers import service as customers
from regulars.customers.identity import display_phone
from regulars.customers.schemas import CustomerMerge
from regulars.db import Database
from regulars.kit.errors import NotFound
from regulars.kit.pagination import PageRequest
from regulars.merchants import service as merchants
from regulars.web import loyalty_view
from regulars.web.i18n import N_
from regulars.web.render import page
from regulars.web.routing import PageRoute, Staff, current_staff, database
from regulars.web.session import check_csrf

router = APIRouter(route_class=PageRoute, include_in_schema=False)

RESULTS = 10
CHOOSE_SURVIVOR = N_("Choose which customer stays.")
GONE = N_("One of the two customers no longer exists; it may have just been merged or erased.")


def _side(session: Session, staff: Staff, customer_id: uuid.UUID) -> dict[str, Any]:
    card = loyalty_view.card(session, staff.ctx, customer_id, staff.lang)
    customer = card["customer"]
    return {
        "customer": customer,
        "phone": display_phone(customer.phone) if customer.phone else "",
        "balance": card["balance"],
        "stamps": card["stamps"],
        "vouchers": len(card["vouchers"]),
    }


def _view(
    session: Session, staff: Staff, customer_id: uuid.UUID, q: str, other: uuid.UUID | None
) -> dict[str, Any]:
    this = _side(session, staff, customer_id)
    found: list[dict[str, Any]] = []
    if q.strip() and other is None:
        hits = customers.list_customers(session, staff.ctx, PageRequest(limit=RESULTS), q).data
        found = [
            {
                "id": c.id,
                "name": c.name,
                "phone": display_phone(c.phone) if c.phone else "",
                "code": c.member_code,
            }
            for c in hits
            if c.id != customer_id
        ]
    pair = _side(session, staff, other) if other is not None and other != customer_id else None
    return {"this": this, "found": found, "other": pair}


def _merge_page(
    request: Request,
    staff: Staff,
    db: Database,
    customer_id: uuid.UUID,
    q: str = "",
    other: uuid.UUID | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    merchants.require_role(staff.ctx, "manager")
    view = db.run(lambda s: _view(s, staff, customer_id, q, other), write=False)
    return page(
        request,
        "staff/customer_merge.html",
        staff.lang,
        status=status,
        staff=staff,
        section="customers",
        q=q,
        error=error,
        **view,
    )


@router.get("/customers/{customer_id}/merge")
def merge_form(
    request: Request,
    customer_id: uuid.UUID,
    q: str = Query("", max_length=200),
    other: uuid.UUID | None = Query(None),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    return _merge_page(request, staff, db, customer_id, q, other)


@router.post("/customers/{customer_id}/merge", dependencies=[Depends(check_csrf)])
def merge_customers(
    request: Request,
    customer_id: uuid.UUID,
    other_id: uuid.UUID = Form(...),
    survivor: str = Form("", max_length=40),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    pair = {str(customer_id): other_id, str(other_id): customer_id}
    if survivor not in pair:
        return _merge_page(
            request, staff, db, customer_id, other=other_id, error=CHOOSE_SURVIVOR, status=422
        )
    kept = uuid.UUID(survivor)
    data = CustomerMerge(other_id=pair[survivor])
    try:
        db.run(lambda s: merge.merge_customers(s, staff.ctx, kept, data))
    except NotFound:
        return _merge_page(request, staff, db, kept, error=GONE, status=404)
    return RedirectResponse(f"/customers/{kept}?merged=1", status_code=303)

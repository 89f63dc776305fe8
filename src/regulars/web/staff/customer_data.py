"""Staff pages for a customer's data rights (manager and up): export everything stored about
them, and erase them. Both ask first; both are audited by the services they call."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from regulars.customers import service as customers
from regulars.customers.schemas import CustomerExport
from regulars.db import Database
from regulars.merchants import service as merchants
from regulars.web.i18n import N_
from regulars.web.render import page
from regulars.web.routing import PageRoute, Staff, current_staff, database
from regulars.web.session import check_csrf

router = APIRouter(route_class=PageRoute, include_in_schema=False)

CONFIRM_ERASE = N_("Tick the box to confirm that this cannot be undone.")


def _confirm_page(
    request: Request,
    staff: Staff,
    db: Database,
    customer_id: uuid.UUID,
    action: str,
    error: str | None = None,
) -> Response:
    merchants.require_role(staff.ctx, "manager")
    customer = db.run(lambda s: customers.get_customer(s, staff.ctx, customer_id), write=False)
    return page(
        request,
        "staff/customer_confirm.html",
        staff.lang,
        status=422 if error else 200,
        staff=staff,
        section="customers",
        customer=customer,
        action=action,
        error=error,
    )


@router.get("/customers/{customer_id}/export")
def export_confirm(
    request: Request,
    customer_id: uuid.UUID,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    return _confirm_page(request, staff, db, customer_id, "export")


@router.post("/customers/{customer_id}/export", dependencies=[Depends(check_csrf)])
def export_download(
    customer_id: uuid.UUID,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    """The same document as GET /api/v1/customers/{id}/export, as a file to keep."""
    found = db.run(lambda s: customers.export_customer(s, staff.ctx, customer_id))
    body = CustomerExport.model_validate(found).model_dump_json(indent=2)
    code = found["customer"].member_code
    return Response(
        body,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="customer-{code}.json"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/customers/{customer_id}/erase")
def erase_confirm(
    request: Request,
    customer_id: uuid.UUID,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    return _confirm_page(request, staff, db, customer_id, "erase")


@router.post("/customers/{customer_id}/erase", dependencies=[Depends(check_csrf)])
def erase(
    request: Request,
    customer_id: uuid.UUID,
    confirm: str = Form("", max_length=8),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    if confirm != "yes":
        return _confirm_page(request, staff, db, customer_id, "erase", CONFIRM_ERASE)
    db.run(lambda s: customers.erase_customer(s, staff.ctx, customer_id))
    return RedirectResponse(f"/customers/{customer_id}/erased", status_code=303)


@router.get("/customers/{customer_id}/erased")
def erased(request: Request, staff: Staff = Depends(current_staff)) -> Response:
    """Where an erasure lands: it names nobody, there is nobody left to name."""
    return page(
        request,
        "staff/customer_confirm.html",
        staff.lang,
        staff=staff,
        section="customers",
        customer=None,
        action="erased",
        error=None,
    )

"""Staff pages: a customer's purchases, page by page (the customer page shows the latest)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.db import Database
from regulars.kit.pagination import page_request
from regulars.web import history_view
from regulars.web.render import page
from regulars.web.routing import PageRoute, Staff, current_staff, database

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_SIZE = 20
LATEST = 5  # purchases on the customer page


@router.get("/customers/{customer_id}/purchases")
def customer_purchases(
    request: Request,
    customer_id: uuid.UUID,
    cursor: str | None = Query(None, max_length=64),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    req = page_request(PAGE_SIZE, cursor)

    def load(s: Session) -> dict[str, Any]:
        customer = customers.get_customer(s, staff.ctx, customer_id, details=False)
        view = history_view.purchase_history(s, staff.ctx, customer_id, req, staff.lang)
        return view | {"customer": customer}

    view = db.run(load, write=False)
    return page(
        request,
        "staff/purchases.html",
        staff.lang,
        staff=staff,
        section="customers",
        tz=staff.ctx.merchant.timezone,
        first_page=cursor is None,
        **view,
    )

"""The staff list of payment plans at /plans: overdue first, then open by next due date, then the
completed ones; each links to the till's page where a payment is taken."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from regulars.db import Database
from regulars.plans import listing
from regulars.web.render import page
from regulars.web.routing import PageRoute, Staff, current_staff, database

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/plans")
def plans_list(
    request: Request, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    def load(s: Session) -> dict[str, Any]:
        return {
            "rows": listing.staff_list(s, staff.ctx),
            "counts": listing.counts(s, staff.ctx),
        }

    view = db.run(load, write=False)
    return page(
        request, "staff/plans.html", staff.lang, staff=staff, section="plans",
        currency=staff.ctx.merchant.currency, **view,
    )  # fmt: skip

"""The portal's payment plans at /p/{shop}/plans: each plan the member holds, what is left to
pay, and its schedule with what is paid, due and overdue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.db import Database
from regulars.kit.context import MerchantInfo
from regulars.kit.errors import NotFound
from regulars.plans import service as plans
from regulars.web import i18n
from regulars.web.portal.pages import _customer_ctx, _home, _remembered_lang, _signed_in, shop
from regulars.web.render import page
from regulars.web.routing import PageRoute, database
from regulars.web.session import pop_entry

router = APIRouter(prefix="/p/{slug}", route_class=PageRoute, include_in_schema=False)


@router.get("/plans")
def my_plans(
    request: Request, merchant: MerchantInfo = Depends(shop), db: Database = Depends(database)
) -> Response:
    customer_id = _signed_in(request, merchant)
    if customer_id is None:
        return _home(merchant)
    ctx = _customer_ctx(merchant, customer_id)
    hint = _remembered_lang(request)

    def load(s: Session) -> dict[str, Any]:
        customer = customers.get_customer(s, ctx, customer_id, details=False)
        return {
            "lang": i18n.choose(customer.locale, hint, merchant.locale),
            "plans": plans.customer_plans(s, ctx, customer_id),
        }

    try:
        view = db.run(load, write=False)
    except NotFound:  # erased since signing in
        pop_entry(request, "portal", str(merchant.id))
        return _home(merchant)
    return page(request, "portal/plans.html", view.pop("lang"), shop=merchant, **view)

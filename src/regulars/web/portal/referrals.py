"""Portal pages for referrals: a member's share page (code, link, ready text, QR) and the page a
friend's link opens (`/p/{shop}/join?ref=CODE`), which keeps the code in the session."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.db import Database
from regulars.kit.context import Actor, Ctx, MerchantInfo
from regulars.kit.errors import NotFound
from regulars.referrals import service as referrals
from regulars.web import i18n
from regulars.web.portal.pages import _customer_ctx, _home, _remembered_lang, _signed_in, shop
from regulars.web.render import code_qr, page
from regulars.web.routing import PageRoute, database
from regulars.web.session import check_csrf, pop_entry, put_entry

router = APIRouter(prefix="/p/{slug}", route_class=PageRoute, include_in_schema=False)
REF = "portal_ref"  # the session's invitation code, per shop


@router.get("/share")
def share(
    request: Request, merchant: MerchantInfo = Depends(shop), db: Database = Depends(database)
) -> Response:
    customer_id = _signed_in(request, merchant)
    if customer_id is None:
        return _home(merchant)
    ctx = _customer_ctx(merchant, customer_id)
    hint, base = _remembered_lang(request), str(request.base_url)

    def load(s: Session) -> dict[str, Any]:
        customer = customers.get_customer(s, ctx, customer_id, details=False)
        lang = i18n.choose(customer.locale, hint, merchant.locale)
        return referrals.referral_of(s, ctx, customer_id, base, lang) | {"lang": lang}

    try:
        view = db.run(load)
    except NotFound:
        pop_entry(request, "portal", str(merchant.id))
        return _home(merchant)
    return page(
        request,
        "portal/share.html",
        view.pop("lang"),
        shop=merchant,
        link_qr=code_qr(view["link"]),
        **view,
    )


def _invitation(db: Database, merchant: MerchantInfo, code: str) -> dict[str, Any] | None:
    ctx = Ctx(merchant, Actor("customer", None, "customer"))  # reads only; nobody signed in

    def load(s: Session) -> dict[str, Any] | None:
        try:
            inv = referrals.invitation(s, ctx, code)
        except referrals.ReferralRefused:
            return None
        name = (inv.referrer.name or "").split(" ")[0]  # the first name is enough here
        return {"code": inv.code, "welcome": inv.welcome, "referrer": name}

    return db.run(load, write=False)


@router.get("/invited")
def join(
    request: Request,
    ref: str = Query("", max_length=40),
    merchant: MerchantInfo = Depends(shop),
    db: Database = Depends(database),
) -> Response:
    """A friend's link: what the invitation gives, and how to use it (tell the cashier, or, when
    signed in and new, take it here)."""
    invitation = _invitation(db, merchant, ref) if ref else None
    if invitation is not None:
        put_entry(request, REF, str(merchant.id), invitation["code"])
    lang = i18n.choose(_remembered_lang(request), merchant.locale)
    return page(
        request,
        "portal/invited.html",
        lang,
        shop=merchant,
        invitation=invitation,
        asked=bool(ref),
        signed_in=_signed_in(request, merchant) is not None,
        phone="",
    )


@router.post("/invited", dependencies=[Depends(check_csrf)])
def take_invitation(
    request: Request, merchant: MerchantInfo = Depends(shop), db: Database = Depends(database)
) -> Response:
    """A signed-in customer who has not bought yet takes the invitation kept in the session."""
    customer_id = _signed_in(request, merchant)
    code = request.session.get(REF, {}).get(str(merchant.id))
    if customer_id is None or not code:
        return _home(merchant)
    ctx = _customer_ctx(merchant, customer_id)
    try:
        db.run(lambda s: referrals.refer_existing(s, ctx, customer_id, code))
    except referrals.ReferralRefused as exc:
        lang = i18n.choose(_remembered_lang(request), merchant.locale)
        invitation = _invitation(db, merchant, code)
        return page(
            request,
            "portal/invited.html",
            lang,
            status=409,
            shop=merchant,
            invitation=invitation,
            asked=True,
            signed_in=True,
            refused=referrals.REASONS[exc.reason_code],
            phone="",
        )
    pop_entry(request, REF, str(merchant.id))
    return RedirectResponse(f"/p/{merchant.slug}/", status_code=303)

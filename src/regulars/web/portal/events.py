"""The portal's invitations at /p/{shop}/events: the events a member is invited to, their reply
with guests, the pass QR they show at the door, and guest passes handed to friends by phone."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.db import Database
from regulars.events import service as events
from regulars.events.schemas import GuestPassCreate, RsvpCreate
from regulars.kit.context import MerchantInfo
from regulars.kit.errors import InvalidField, NotFound, ProblemError
from regulars.web import i18n
from regulars.web.i18n import N_
from regulars.web.portal.pages import _customer_ctx, _home, _remembered_lang, _signed_in, shop
from regulars.web.render import code_qr, page
from regulars.web.routing import PageRoute, database
from regulars.web.session import check_csrf, pop_entry
from regulars.web.staff.events import REFUSALS

router = APIRouter(prefix="/p/{slug}", route_class=PageRoute, include_in_schema=False)

BAD_PHONE = N_("This phone number is not valid.")
OWN_PHONE = N_("This is your own phone number. Give the pass to a friend.")


def _events_page(
    request: Request,
    merchant: MerchantInfo,
    db: Database,
    customer_id: uuid.UUID,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    ctx = _customer_ctx(merchant, customer_id)
    lang_hint = _remembered_lang(request)

    def load(s: Session) -> dict[str, Any]:
        customer = customers.get_customer(s, ctx, customer_id)
        return {
            "lang": i18n.choose(customer.locale, lang_hint, merchant.locale),
            "invitations": events.invitations(s, ctx, customer_id),
            "held": events.guest_passes_held(s, ctx, customer_id),
        }

    try:
        view = db.run(load, write=False)
    except NotFound:  # erased since signing in
        pop_entry(request, "portal", str(merchant.id))
        return _home(merchant)
    codes = [i.rsvp.code for i in view["invitations"] if i.rsvp]
    codes += [gp.code for i in view["invitations"] for gp, _friend in i.passes]
    codes += [gp.code for gp, _event in view["held"]]
    return page(
        request,
        "portal/events.html",
        view.pop("lang"),
        status=status,
        shop=merchant,
        qr={code: code_qr(code) for code in codes},
        error=error,
        form=form or {},
        tz=merchant.timezone,
        **view,
    )


@router.get("/events")
def invitations(
    request: Request, merchant: MerchantInfo = Depends(shop), db: Database = Depends(database)
) -> Response:
    customer_id = _signed_in(request, merchant)
    if customer_id is None:
        return _home(merchant)
    return _events_page(request, merchant, db, customer_id)


def _back(merchant: MerchantInfo, event_id: uuid.UUID) -> RedirectResponse:
    return RedirectResponse(f"/p/{merchant.slug}/events#event-{event_id}", status_code=303)


@router.post("/events/{event_id}/rsvp", dependencies=[Depends(check_csrf)])
def reply(
    request: Request,
    event_id: uuid.UUID,
    guests: int = Form(0, ge=0, le=10),
    merchant: MerchantInfo = Depends(shop),
    db: Database = Depends(database),
) -> Response:
    customer_id = _signed_in(request, merchant)
    if customer_id is None:
        return _home(merchant)
    ctx = _customer_ctx(merchant, customer_id)
    body = RsvpCreate(customer_id=customer_id, guests=guests)
    try:
        db.run(lambda s: events.rsvp(s, ctx, event_id, body))
    except ProblemError as exc:
        if exc.slug not in REFUSALS:
            raise
        return _events_page(request, merchant, db, customer_id, 409, REFUSALS[exc.slug])
    return _back(merchant, event_id)


@router.post("/events/{event_id}/guest-pass", dependencies=[Depends(check_csrf)])
def give_pass(
    request: Request,
    event_id: uuid.UUID,
    rsvp_id: uuid.UUID = Form(...),
    phone: str = Form("", max_length=40),
    name: str = Form("", max_length=200),
    consent: bool = Form(False),
    merchant: MerchantInfo = Depends(shop),
    db: Database = Depends(database),
) -> Response:
    """The member hands one of their guest seats to a friend by phone."""
    customer_id = _signed_in(request, merchant)
    if customer_id is None:
        return _home(merchant)
    ctx = _customer_ctx(merchant, customer_id)
    form = {"phone": phone, "name": name, "event_id": str(event_id)}
    try:
        data = GuestPassCreate(phone=phone.strip(), name=name.strip() or None, consent=consent)
        db.run(lambda s: events.give_guest_pass(s, ctx, event_id, rsvp_id, data))
    except (ValidationError, InvalidField) as exc:
        own = isinstance(exc, InvalidField) and exc.errors[0]["message"] == events.OWN_PHONE
        error = OWN_PHONE if own else BAD_PHONE
        return _events_page(request, merchant, db, customer_id, 422, error, form)
    except ProblemError as exc:
        if exc.slug not in REFUSALS:
            raise
        return _events_page(request, merchant, db, customer_id, 409, REFUSALS[exc.slug], form)
    return _back(merchant, event_id)

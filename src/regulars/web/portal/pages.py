"""The customer portal at /p/{shop}/: sign in by phone and one-time code, then the member card.

Language: the signed-in customer's own choice (stored on their profile), else ?lang, else the
shop's default. The session keeps one signed-in customer per shop.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from regulars.customers import portal
from regulars.customers import service as customers
from regulars.customers.schemas import CustomerUpdate
from regulars.db import Database
from regulars.events import clubs
from regulars.kit import clock
from regulars.kit.context import Actor, Ctx, MerchantInfo
from regulars.kit.errors import Conflict, InvalidField, NotFound, TooManyRequests
from regulars.kit.pagination import PageRequest, decode_cursor, page_request
from regulars.loyalty import ledger, rewards
from regulars.loyalty import service as loyalty
from regulars.merchants import service as merchants
from regulars.messaging.channels.legacy import Channel, ConsoleChannel
from regulars.web import history_view, i18n, loyalty_view
from regulars.web.i18n import N_
from regulars.web.render import code_qr, page, scalable_svg
from regulars.web.routing import PageRoute, database
from regulars.web.session import check_csrf, client_ip, limits, pop_entry, put_entry

router = APIRouter(prefix="/p/{slug}", route_class=PageRoute, include_in_schema=False)

HISTORY_PAGE = 20
REDEEM_ERRORS = {
    "insufficient-points": N_("You do not have enough points for this reward yet."),
    "out-of-stock": N_("This reward is out of stock."),
    "early-access": N_("This reward is only for members of a higher tier for now."),
}
NOT_OFFERED = N_("This reward is not offered now.")
TOO_MANY = N_("Too many attempts. Wait a few minutes and try again.")
SMS = N_("%(shop)s: your sign-in code is %(code)s. It expires in %(minutes)d minutes.")


def channel(request: Request) -> Channel:
    found: Channel | None = getattr(request.app.state, "channel", None)
    if found is None:
        found = request.app.state.channel = ConsoleChannel()
    return found


def shop(slug: str, db: Database = Depends(database)) -> MerchantInfo:
    return db.run(lambda s: merchants.merchant_by_slug(s, slug), write=False)


def _signed_in(request: Request, merchant: MerchantInfo) -> uuid.UUID | None:
    value = request.session.get("portal", {}).get(str(merchant.id))
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _remembered_lang(request: Request) -> str | None:
    asked = i18n.supported(request.query_params.get("lang"))
    if asked:
        request.session["portal_lang"] = asked
    return asked or request.session.get("portal_lang")


def _lang(request: Request, merchant: MerchantInfo, customer_locale: str | None = None) -> str:
    return i18n.choose(customer_locale, _remembered_lang(request), merchant.locale)


def _home(merchant: MerchantInfo) -> RedirectResponse:
    return RedirectResponse(f"/p/{merchant.slug}/", status_code=303)


def _customer_ctx(merchant: MerchantInfo, customer_id: uuid.UUID) -> Ctx:
    return Ctx(merchant, Actor("customer", customer_id, "customer"))


def _sign_in_page(
    request: Request, merchant: MerchantInfo, status: int = 200, **values: Any
) -> Response:
    values.setdefault("phone", "")
    return page(
        request,
        "portal/sign_in.html",
        _lang(request, merchant),
        status=status,
        shop=merchant,
        **values,
    )


def _card_page(
    request: Request,
    merchant: MerchantInfo,
    db: Database,
    customer_id: uuid.UUID,
    status: int = 200,
    error: str | None = None,
) -> Response:
    ctx = _customer_ctx(merchant, customer_id)
    lang_hint = _remembered_lang(request)

    def load(s: Session) -> dict[str, Any]:
        customer = customers.get_customer(s, ctx, customer_id)
        lang = i18n.choose(customer.locale, lang_hint, merchant.locale)
        view = loyalty_view.card(s, ctx, customer_id, lang)
        return view | {"lang": lang, "clubs": list(clubs.clubs_of(s, ctx, customer_id))}

    try:
        view = db.run(load, write=False)
    except NotFound:  # erased since signing in
        pop_entry(request, "portal", str(merchant.id))
        return _home(merchant)
    customer = view["customer"]
    qr = scalable_svg(customers.member_qr(customer.member_code), customer.member_code)
    voucher_qr = {v.code: code_qr(v.code) for v in view["vouchers"]}
    return page(
        request,
        "portal/card.html",
        view.pop("lang"),
        status=status,
        shop=merchant,
        qr_svg=qr,
        voucher_qr=voucher_qr,
        error=error,
        tz=merchant.timezone,
        **view,
    )


@router.get("/")
def home(
    request: Request, merchant: MerchantInfo = Depends(shop), db: Database = Depends(database)
) -> Response:
    customer_id = _signed_in(request, merchant)
    if customer_id is None:
        return _sign_in_page(request, merchant)
    return _card_page(request, merchant, db, customer_id)


@router.get("/rewards/{reward_id}")
def confirm_redeem(
    request: Request,
    reward_id: uuid.UUID,
    merchant: MerchantInfo = Depends(shop),
    db: Database = Depends(database),
) -> Response:
    """The step before spending points: the reward, its cost, the balance now and after."""
    customer_id = _signed_in(request, merchant)
    if customer_id is None:
        return _home(merchant)
    ctx = _customer_ctx(merchant, customer_id)
    lang_hint = _remembered_lang(request)

    def load(s: Session) -> dict[str, Any]:
        customer = customers.get_customer(s, ctx, customer_id)
        lang = i18n.choose(customer.locale, lang_hint, merchant.locale)
        offered = rewards.list_rewards(s, ctx, active_only=True)
        valid_days = {str(r.id): r.valid_days for r in offered}
        return loyalty_view.card(s, ctx, customer_id, lang) | {"lang": lang, "days": valid_days}

    try:
        view = db.run(load, write=False)
    except NotFound:
        pop_entry(request, "portal", str(merchant.id))
        return _home(merchant)
    reward = next((r for r in view["rewards"] if r["id"] == str(reward_id)), None)
    if reward is None:
        return _card_page(request, merchant, db, customer_id, 404, NOT_OFFERED)
    error = None
    if reward["stock"] == 0:
        error = REDEEM_ERRORS["out-of-stock"]
    elif not reward["affordable"]:
        error = REDEEM_ERRORS["insufficient-points"]
    return page(
        request,
        "portal/redeem.html",
        view["lang"],
        shop=merchant,
        reward=reward,
        balance=view["balance"],
        after=view["balance"] - reward["cost"],
        valid_until=clock.now() + timedelta(days=view["days"][reward["id"]]),
        tz=merchant.timezone,
        error=error,
        # One key per drawn page: a double tap or a resent form replays, a new page is new.
        redeem_key=secrets.token_urlsafe(16),
    )


@router.post("/redeem", dependencies=[Depends(check_csrf)])
def redeem(
    request: Request,
    reward_id: uuid.UUID = Form(...),
    request_key: str = Form("", max_length=64),
    merchant: MerchantInfo = Depends(shop),
    db: Database = Depends(database),
) -> Response:
    """The customer spends their own points on a reward; the voucher shows on the card."""
    customer_id = _signed_in(request, merchant)
    if customer_id is None:
        return _home(merchant)
    ctx = _customer_ctx(merchant, customer_id)
    try:
        db.run(lambda s: rewards.redeem(s, ctx, customer_id, reward_id, request_key or None))
    except (ledger.InsufficientPoints, rewards.OutOfStock, rewards.EarlyAccessOnly) as exc:
        return _card_page(request, merchant, db, customer_id, 409, REDEEM_ERRORS[exc.slug])
    except (Conflict, NotFound):
        return _card_page(request, merchant, db, customer_id, 409, NOT_OFFERED)
    return RedirectResponse(f"/p/{merchant.slug}/#vouchers", status_code=303)


@router.get("/history")
def history(
    request: Request,
    cursor: str | None = Query(None, max_length=64),
    merchant: MerchantInfo = Depends(shop),
    db: Database = Depends(database),
) -> Response:
    customer_id = _signed_in(request, merchant)
    if customer_id is None:
        return _home(merchant)
    ctx = _customer_ctx(merchant, customer_id)
    after = decode_cursor(cursor) if cursor else None
    lang_hint = _remembered_lang(request)

    def load(s: Session) -> dict[str, Any]:
        customer = customers.get_customer(s, ctx, customer_id)
        lang = i18n.choose(customer.locale, lang_hint, merchant.locale)
        program = loyalty.current_program(s, ctx)[1]
        found = loyalty.list_ledger(s, ctx, customer_id, PageRequest(HISTORY_PAGE, after))
        names = loyalty_view.reward_names(s, ctx)
        rows = [
            {
                "at": e.created_at,
                "points": e.points,
                "kind": loyalty_view.kind_text(e.kind, lang),
                # An adjustment's reason is the staff's note: the customer reads its message.
                "reason": (e.message or "")
                if e.kind == "adjust"
                else loyalty_view.reason_text(e.reason, lang, program, e.kind, names),
            }
            for e in found.data
        ]
        return {"lang": lang, "rows": rows, "next_cursor": found.next_cursor}

    view = db.run(load, write=False)
    return page(
        request,
        "portal/history.html",
        view.pop("lang"),
        shop=merchant,
        tz=merchant.timezone,
        first_page=cursor is None,
        **view,
    )


@router.get("/purchases")
def purchases(
    request: Request,
    cursor: str | None = Query(None, max_length=64),
    merchant: MerchantInfo = Depends(shop),
    db: Database = Depends(database),
) -> Response:
    """The customer's own purchases, newest first, with what they buy most on the first page."""
    customer_id = _signed_in(request, merchant)
    if customer_id is None:
        return _home(merchant)
    ctx = _customer_ctx(merchant, customer_id)
    req = page_request(HISTORY_PAGE, cursor)
    lang_hint = _remembered_lang(request)

    def load(s: Session) -> dict[str, Any]:
        customer = customers.get_customer(s, ctx, customer_id)
        lang = i18n.choose(customer.locale, lang_hint, merchant.locale)
        return {"lang": lang} | history_view.purchase_history(s, ctx, customer_id, req, lang)

    view = db.run(load, write=False)
    return page(
        request,
        "portal/purchases.html",
        view.pop("lang"),
        shop=merchant,
        tz=merchant.timezone,
        first_page=cursor is None,
        **view,
    )


def _composer(page_lang: str) -> portal.Compose:
    """The code's text in the customer's language, else the page's."""

    def compose(shop: MerchantInfo, code: str, locale: str | None, minutes: int) -> str:
        text = i18n.gettext_for(i18n.choose(locale, page_lang, shop.locale)).gettext(SMS)
        return text % {"shop": shop.name, "code": code, "minutes": minutes}

    return compose


@router.post("/code", dependencies=[Depends(check_csrf)])
def send_code(
    request: Request,
    phone: str = Form("", max_length=40),
    merchant: MerchantInfo = Depends(shop),
    db: Database = Depends(database),
    out: Channel = Depends(channel),
) -> Response:
    if not limits(request).portal_code_ip.hit(client_ip(request)):
        return _sign_in_page(request, merchant, 429, phone=phone, error=TOO_MANY)
    settings = request.app.state.settings
    policy = portal.CodePolicy(settings.otp_ttl_seconds, settings.otp_max_per_hour)
    compose = _composer(_lang(request, merchant))
    try:
        db.run(
            lambda s: portal.request_code(s, merchant, phone, out, policy=policy, compose=compose)
        )
    except InvalidField:
        error = N_("This phone number is not valid.")
        return _sign_in_page(request, merchant, 422, phone=phone, error=error)
    except TooManyRequests:
        return _sign_in_page(request, merchant, 429, phone=phone, error=TOO_MANY)
    put_entry(request, "portal_pending", str(merchant.id), phone)
    pop_entry(request, "portal_join", str(merchant.id))  # signing in, not joining
    return RedirectResponse(f"/p/{merchant.slug}/verify", status_code=303)


def _verify_page(
    request: Request, merchant: MerchantInfo, phone: str, status: int = 200, **values: Any
) -> Response:
    lang = _lang(request, merchant)
    minutes = max(1, request.app.state.settings.otp_ttl_seconds // 60)
    return page(
        request,
        "portal/verify.html",
        lang,
        status=status,
        shop=merchant,
        phone=phone,
        minutes=minutes,
        **values,
    )


def _pending_phone(request: Request, merchant: MerchantInfo) -> str | None:
    value = request.session.get("portal_pending", {}).get(str(merchant.id))
    return str(value) if value else None


# --- joining ---------------------------------------------------------------------------------


def _join_page(
    request: Request, merchant: MerchantInfo, status: int = 200, **values: Any
) -> Response:
    values.setdefault("form", {"phone": "", "name": "", "offers": False})
    values.setdefault("errors", {})
    lang = _lang(request, merchant)
    return page(request, "portal/join.html", lang, status=status, shop=merchant, **values)


@router.get("/join")
def join_form(
    request: Request,
    ref: str = Query("", max_length=40),
    merchant: MerchantInfo = Depends(shop),
) -> Response:
    if ref:  # a member's invitation link (web/portal/referrals.py)
        return RedirectResponse(f"/p/{merchant.slug}/invited?ref={quote(ref)}", status_code=303)
    if _signed_in(request, merchant) is not None:
        return _home(merchant)
    return _join_page(request, merchant)


@router.post("/join", dependencies=[Depends(check_csrf)])
def ask_to_join(
    request: Request,
    phone: str = Form("", max_length=40),
    name: str = Form("", max_length=200),
    agree: bool = Form(False),
    offers: bool = Form(False),
    merchant: MerchantInfo = Depends(shop),
    db: Database = Depends(database),
    out: Channel = Depends(channel),
) -> Response:
    """A non-member asks to join: a code goes to the phone; the member is made when it comes
    back (`verify`), with their consent and the program's sign-up bonus."""
    form = {"phone": phone, "name": name.strip(), "offers": offers}
    errors: dict[str, str] = {}
    if not phone.strip():
        errors["phone"] = N_("This phone number is not valid.")
    if not agree:
        errors["agree"] = N_("Tick the box to agree, or the shop cannot keep your card.")
    if errors:
        return _join_page(request, merchant, 422, form=form, errors=errors)
    if not limits(request).portal_code_ip.hit(client_ip(request)):
        return _join_page(request, merchant, 429, form=form, error=TOO_MANY)
    settings = request.app.state.settings
    policy = portal.CodePolicy(settings.otp_ttl_seconds, settings.otp_max_per_hour)
    compose = _composer(_lang(request, merchant))
    try:
        ticket = db.run(
            lambda s: portal.request_join_code(
                s, merchant, phone, out, secret=settings.secret_key, policy=policy, compose=compose
            )
        )
    except InvalidField:
        errors = {"phone": N_("This phone number is not valid.")}
        return _join_page(request, merchant, 422, form=form, errors=errors)
    except TooManyRequests:
        return _join_page(request, merchant, 429, form=form, error=TOO_MANY)
    pending = ticket.to_dict() | {"name": form["name"], "offers": offers}
    put_entry(request, "portal_join", str(merchant.id), json.dumps(pending))
    put_entry(request, "portal_pending", str(merchant.id), phone)
    return RedirectResponse(f"/p/{merchant.slug}/verify", status_code=303)


def _pending_join(request: Request, merchant: MerchantInfo) -> dict[str, Any] | None:
    value = request.session.get("portal_join", {}).get(str(merchant.id))
    try:
        found = json.loads(value) if value else None
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


@router.get("/verify")
def verify_form(request: Request, merchant: MerchantInfo = Depends(shop)) -> Response:
    phone = _pending_phone(request, merchant)
    if phone is None:
        return _home(merchant)
    return _verify_page(request, merchant, phone, joining=_pending_join(request, merchant))


@router.post("/verify", dependencies=[Depends(check_csrf)])
def verify(
    request: Request,
    code: str = Form("", max_length=20),
    merchant: MerchantInfo = Depends(shop),
    db: Database = Depends(database),
) -> Response:
    phone = _pending_phone(request, merchant)
    if phone is None:
        return _home(merchant)
    if not limits(request).portal_verify_ip.hit(client_ip(request)):
        return _verify_page(request, merchant, phone, 429, error=TOO_MANY)
    joining = _pending_join(request, merchant)
    ticket = portal.JoinTicket.from_dict(joining) if joining else None
    if joining and ticket:
        consent = {"sms": True} if joining.get("offers") else {}
        secret = request.app.state.settings.secret_key
        name = str(joining.get("name") or "")[:200]
        customer_id = db.run(
            lambda s: portal.join(
                s, merchant, ticket, code, secret=secret, name=name, consent=consent
            )
        )
    else:
        customer_id = db.run(lambda s: portal.verify_code(s, merchant, phone, code))
    if customer_id is None:
        error = N_("That code is wrong or has expired. Check it, or ask for a new one.")
        return _verify_page(request, merchant, phone, 401, error=error, joining=joining)
    pop_entry(request, "portal_pending", str(merchant.id))
    pop_entry(request, "portal_join", str(merchant.id))
    put_entry(request, "portal", str(merchant.id), str(customer_id))
    return _home(merchant)


@router.post("/lang", dependencies=[Depends(check_csrf)])
def choose_language(
    request: Request,
    lang: str = Form(..., max_length=16),
    merchant: MerchantInfo = Depends(shop),
    db: Database = Depends(database),
) -> Response:
    chosen = i18n.supported(lang)
    if chosen is None:
        return _home(merchant)
    request.session["portal_lang"] = chosen
    customer_id = _signed_in(request, merchant)
    if customer_id is not None:
        # The customer's choice is kept on their profile: messages follow it too.
        def save(s: Session) -> None:
            ctx = _customer_ctx(merchant, customer_id)
            customers.update_customer(s, ctx, customer_id, CustomerUpdate(locale=chosen))

        db.run(save)
    return _home(merchant)


@router.post("/sign-out", dependencies=[Depends(check_csrf)])
def sign_out(request: Request, merchant: MerchantInfo = Depends(shop)) -> Response:
    pop_entry(request, "portal", str(merchant.id))
    return _home(merchant)

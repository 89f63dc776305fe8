"""The cashier's POS screen: /pos renders the page; /pos/... are the JSON endpoints its script
calls with the staff session and the CSRF token (header X-CSRF-Token).

Exactly once: the page draws one receipt_id per basket and sends it on every attempt until the
sale is confirmed, so a double click or a retry after a lost answer replays the first sale
(`checkout.service.commit` returns it with replayed=True). See docs/pos.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field, ValidationError
from sqlalchemy.orm import Session

from regulars.checkout import service as checkout
from regulars.checkout.quick_picks import TopItem, top_items
from regulars.checkout.schemas import CheckoutIn, CustomerRef, LineIn
from regulars.customers import service as customers
from regulars.customers.identity import display_phone
from regulars.db import Database
from regulars.kit import clock, codes
from regulars.kit.errors import InvalidField, NotFound, ProblemError
from regulars.kit.money import exponent, format_number
from regulars.kit.ratelimit import RateLimiter
from regulars.kit.schemas import Schema
from regulars.loyalty import ledger, rewards, rules
from regulars.loyalty import service as loyalty
from regulars.loyalty.program import Program
from regulars.merchants import service as merchants
from regulars.offers import service as offers
from regulars.offers.reasons import REASONS, reason_text
from regulars.web import history_view, i18n, loyalty_view
from regulars.web.i18n import N_
from regulars.web.render import page
from regulars.web.routing import (
    ERROR_TEXT,
    JsonRoute,
    PageRoute,
    Staff,
    current_staff,
    database,
)
from regulars.web.session import check_csrf_header, client_ip

pages = APIRouter(route_class=PageRoute, include_in_schema=False)
api = APIRouter(prefix="/pos", route_class=JsonRoute, include_in_schema=False)
T = TypeVar("T")
QUICK_PICKS = 12
CATALOG = 100_000  # every item sold in the last year: top_items reads them all anyway

NO_CUSTOMER = N_("No customer with this phone number or member code.")
BAD_PRICE = N_("This price is not valid.")
BAD_LINE_PRICE = N_("Line %(line)s (%(name)s): this price is not valid.")
VOUCHER_USED = N_("This voucher was already used.")
VOUCHER_UNFIT = N_("This voucher cannot be used with this basket.")
VOUCHER_EXPIRED = N_("This voucher has expired.")
VOUCHER_NEEDS_ITEM = N_("Add %(item)s to the basket to use this voucher.")
VOUCHER_NEEDS_ANY = N_("Add one more item to the basket to use this voucher.")
TOO_MANY_POINTS = N_("That is more points than this sale can take.")
NOT_ENOUGH = N_("The customer does not have enough points.")
OUT_OF_STOCK = N_("This reward is out of stock.")
ITEMS_FIRST = N_("Add the items first, then the coupon.")
EARLY_ACCESS = N_("This reward is only for members of a higher tier for now.")
RECEIPT_TAKEN = N_("This receipt number was already used for another basket. Start a new sale.")
# Texts the page's script puts together with numbers; %(name)s placeholders as in gettext.
SCRIPT_TEXTS = {
    "points": N_("%(points)s points"),
    "earned": N_("+%(points)s points"),
    "stamps": N_("%(card)s: %(stamps)s of %(required)s stamps"),
    "to_next": N_("Spend %(amount)s more to reach %(tier)s"),
    "top_tier": N_("Top tier reached"),
    "no_tier": N_("No tier"),
    "expiring": N_("%(points)s points expire within %(days)s days"),
    "until": N_("until %(date)s"),
    "redeem": N_("Redeem for %(points)s points"),
    "confirm_redeem": N_("Redeem “%(name)s” for %(points)s points now?"),
    "remove": N_("Remove"),
    "quantity_of": N_("Quantity of %(name)s"),
    "cap": N_("At most %(points)s points (%(amount)s)"),
    "no_vouchers": N_("No open vouchers."),
    "no_rewards": N_("No rewards to redeem."),
    "need_price": N_("Type the price of this item."),
    "network": N_(
        "No answer from the server: the sale is not confirmed yet. Press Charge again; "
        "it will not be counted twice."
    ),
    "charge_again": N_("Charge again"),
    "replayed": N_("This sale had already been recorded: it was not counted twice."),
    "leave_pending": N_("The last sale is not confirmed yet. Start a new sale anyway?"),
    "free_item": N_("Free item earned: %(name)s"),
    "needs_item": VOUCHER_NEEDS_ITEM,
    "added_for_voucher": N_("Added to the basket: %(item)s"),
    "charge_empty": N_("Add an item to charge."),
    "charge_wait": N_("Working out the total…"),
    "charging": N_("Charging…"),
    "price_whole": N_("Unit price: %(currency)s has no decimals. Type a whole number."),
    "price_decimals": N_("Unit price: at most %(digits)s decimals in %(currency)s."),
    "price_number": N_("Unit price: type a number, like %(example)s."),
    "price_big": N_("Unit price: this is more than the till can take."),
    "bar_items": N_("Items: %(count)s"),
    "added": N_("Added: %(name)s"),
    "coupon_dropped": N_("Coupon %(code)s removed: %(reason)s"),
    "tier_perks": N_("%(tier)s perks"),
    "times": N_("%(times)s× points on every purchase"),
    "next_adds": N_("What %(tier)s adds"),
    "no_perks": N_("No perks listed for this tier yet."),
}
COUPON_CHECKS = RateLimiter(60, 60)  # per till (client address): guessing codes is pointless


class PosLine(Schema):
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(default="", max_length=200)
    category: str = Field(default="", max_length=64)
    quantity: int = Field(ge=1, le=100_000)
    price: str = Field(max_length=24, description="Major units, as typed")


class PosSale(Schema):
    receipt_id: str = Field(min_length=1, max_length=64)
    customer_id: uuid.UUID | None = None
    lines: list[PosLine] = Field(min_length=1, max_length=200)
    vouchers: list[str] = Field(default_factory=list, max_length=10)
    coupon_codes: list[str] = Field(default_factory=list, max_length=10)
    redeem_points: int = Field(default=0, ge=0, le=10**9)


class PosCoupon(Schema):
    code: str = Field(min_length=1, max_length=64)
    customer_id: uuid.UUID | None = None
    lines: list[PosLine] = Field(default_factory=list, max_length=200)
    coupon_codes: list[str] = Field(default_factory=list, max_length=10)


class PosRedeem(Schema):
    customer_id: uuid.UUID
    reward_id: uuid.UUID
    request_key: str | None = Field(
        default=None,
        max_length=64,
        description="Same key, same voucher: a retry never spends twice",
    )


# --- answers ---------------------------------------------------------------------------------


def _error(
    staff: Staff,
    status: int,
    text: str,
    field: str | None = None,
    values: dict[str, Any] | None = None,
    **extra: Any,
) -> JSONResponse:
    message = i18n.gettext_for(staff.lang).gettext(text)
    if values:
        message = message % values
    return _json({"error": message, "field": field} | extra, status)


def _problem_text(exc: ProblemError) -> str:
    field = str(exc.errors[0]["field"]) if exc.errors else ""
    if isinstance(exc, offers.Refused):
        return REASONS[exc.reason_code]
    if isinstance(exc, ledger.InsufficientPoints):
        return NOT_ENOUGH
    if isinstance(exc, rewards.OutOfStock):
        return OUT_OF_STOCK
    if isinstance(exc, rewards.EarlyAccessOnly):
        return EARLY_ACCESS
    if isinstance(exc, checkout.ReceiptConflict):
        return RECEIPT_TAKEN
    if field.startswith("vouchers."):
        return VOUCHER_USED if exc.status == 409 else VOUCHER_UNFIT
    if field == "redeem_points":
        return TOO_MANY_POINTS
    if field.startswith("customer."):
        return NO_CUSTOMER
    if field.startswith("lines.") and field.endswith("unit_price"):
        return BAD_PRICE
    return ERROR_TEXT.get(exc.status, ERROR_TEXT[400])


def _run(
    staff: Staff, db: Database, fn: Callable[[Session], T], write: bool = True
) -> T | JSONResponse:
    try:
        return db.run(fn, write=write)
    except ProblemError as exc:
        return _problem(staff, exc)


async def _arun(
    staff: Staff,
    db: Database,
    fn: Callable[[Session], T],
    write: bool = True,
    sale: PosSale | None = None,
) -> T | JSONResponse:
    """A quote or a sale: on the event loop's runner, the path the API's checkout takes."""
    try:
        return await db.arun(fn, write=write)
    except ProblemError as exc:
        field = _field(exc)
        if sale is not None and field and field.startswith("vouchers."):
            return await _voucher_error(staff, db, sale, field, exc.status)
        return _problem(staff, exc)


def _field(exc: ProblemError) -> str | None:
    field = str(exc.errors[0]["field"]) if exc.errors else None
    if field and field.endswith("unit_price"):
        field = field.removesuffix("unit_price") + "price"
    return field


def _problem(staff: Staff, exc: ProblemError) -> JSONResponse:
    if isinstance(exc, offers.Refused):
        return _error(
            staff, exc.status, _problem_text(exc), _field(exc), reason_code=exc.reason_code
        )
    return _error(staff, exc.status, _problem_text(exc), _field(exc))


async def _voucher_error(
    staff: Staff, db: Database, sale: PosSale, field: str, status: int
) -> JSONResponse:
    """Why a ticked voucher does not fit this sale, said so that the cashier knows what to do;
    `voucher` names it so that the page can untick it (the sale itself is not wrong)."""
    index = int(field.split(".")[1]) if field.split(".")[1].isdigit() else -1
    code = sale.vouchers[index] if 0 <= index < len(sale.vouchers) else ""
    if status == 409:
        return _error(staff, status, VOUCHER_USED, field, voucher=code)
    text, values = await db.arun(lambda s: _voucher_reason(s, staff, sale, code), write=False)
    return _error(staff, status, text, field, values, voucher=code)


def _voucher_reason(
    session: Session, staff: Staff, sale: PosSale, code: str
) -> tuple[str, dict[str, Any] | None]:
    voucher = rewards.find_voucher(session, staff.ctx, code)
    if voucher is None or voucher.customer_id != sale.customer_id:
        return VOUCHER_UNFIT, None
    if voucher.status != "issued":
        return VOUCHER_USED, None
    if voucher.expires_at <= clock.now():
        return VOUCHER_EXPIRED, None
    if voucher.kind != "free_item":
        return VOUCHER_UNFIT, None
    if not voucher.sku:
        return VOUCHER_NEEDS_ANY, None
    known = _free_items(session, staff)
    item = known.get(voucher.sku)
    return VOUCHER_NEEDS_ITEM, {"item": item["name"] if item and item["name"] else voucher.sku}


def _json(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


# --- shapes ----------------------------------------------------------------------------------


def card_json(c: dict[str, Any], staff: Staff) -> dict[str, Any]:
    lang, tz = staff.lang, staff.ctx.merchant.timezone
    customer = c["customer"]
    tier = c["tier"]
    return {
        "id": str(customer.id),
        "name": customer.name or "",
        "phone": display_phone(customer.phone) if customer.phone else "",
        "code": codes.group(customer.member_code, 4),
        "balance": c["balance"],
        "expiring_soon": c["expiring_soon"],
        "expiring_days": c["expiring_days"],
        "tier": {
            "name": tier["name"],
            "next_name": tier["next_name"],
            "progress": tier["progress"],
            "to_next": tier.get("to_next_text"),
            "perks": tier["perks"],
            "multiplier_text": tier["multiplier_text"],
            "next_perks": tier["next_perks"],
            "next_multiplier_text": tier["next_multiplier_text"],
        },
        "stamps": [
            {"name": s["name"], "stamps": s["stamps"], "required": s["required"]}
            for s in c["stamps"]
        ],
        "vouchers": [
            {
                "code": v.code,
                "code_text": codes.group(v.code, 4),
                "name": v.name,
                "kind": v.kind,
                "sku": v.sku,
                "expires": i18n.local_day(v.expires_at, lang, tz),
            }
            for v in c["vouchers"]
        ],
        # Early access is already applied to the list (loyalty_view.card); the till needs no date.
        "rewards": [{k: v for k, v in r.items() if k != "early_until"} for r in c["rewards"]],
        "birthday_month": c["birthday_month"],
    }


def _card(session: Session, staff: Staff, customer_id: uuid.UUID) -> dict[str, Any]:
    """The card with the customer's usual basket (what they buy on most visits)."""
    found = card_json(loyalty_view.card(session, staff.ctx, customer_id, staff.lang), staff)
    return found | {"usual": history_view.usual_basket(session, staff.ctx, customer_id, staff.lang)}


def _sale_json(
    result: Mapping[str, Any], body: CheckoutIn, program: Program, lang: str
) -> dict[str, Any]:
    currency = result["currency"]

    def money(minor: int) -> str:
        return i18n.money(minor, currency, lang)

    out: dict[str, Any] = {
        "purchase_id": result["purchase_id"],
        "receipt_id": result["receipt_id"],
        "subtotal": money(result["subtotal"]),
        "discount": money(result["discount_total"]) if result["discount_total"] else None,
        "points_value": money(result["points_value"]) if result["points_value"] else None,
        "total": money(result["total"]),
        "points_earned": result["points_earned"],
        "points_redeemed": result["points_redeemed"],
        "breakdown": [
            {"label": loyalty_view.reason_text(b["rule"], lang, program), "points": b["points"]}
            for b in result["points_breakdown"]
        ],
        "balance": result["balance"],
        "stamps": [
            {
                "name": s["name"],
                "stamps": s["stamps"],
                "required": s["required"],
                "completed_now": s["completed_now"],
                "reward_name": s["reward_name"],
            }
            for s in result["stamps"]
        ],
        "tier": None,
        "vouchers": [
            {"code": v["code"], "name": v["name"], "discount": money(v["discount"])}
            for v in result["vouchers_applied"]
        ],
        "coupons": [
            {"code": d["code"], "discount": money(d["amount"])} for d in result.get("discounts", [])
        ],
        "line_totals": [money(ln.quantity * ln.unit_price) for ln in body.lines],
        "receipt_lines": result["receipt_lines"],
        "cap": 0,
    }
    tier = result["tier"]
    if tier:
        out["tier"] = {
            "name": tier["name"],
            "next_name": tier["next_name"],
            "progress": loyalty_view.tier_progress(tier),
            "to_next": money(tier["spend_to_next"]) if tier.get("spend_to_next") else None,
        }
    if result["customer_id"] is not None and result["balance"] is not None:
        before = result["balance"] + result["points_redeemed"] - result["points_earned"]
        goods = result["subtotal"] - result["discount_total"]
        cap = min(before, rules.points_payment_cap(program, goods))
        out["cap"] = max(0, cap)
        out["cap_value"] = money(out["cap"] * program.points_payment.point_value)
    return out


RECEIPT_LABELS = {
    "receipt": N_("Receipt"),
    "receipt_number": N_("Receipt number"),
    "item": N_("Item"),
    "quantity": N_("Quantity"),
    "amount": N_("Amount"),
    "subtotal": N_("Subtotal"),
    "points": N_("Paid with points"),
}


def _receipt_json(result: Mapping[str, Any], body: CheckoutIn, lang: str) -> dict[str, Any]:
    """The receipt's items and sums, in the language of its loyalty lines (the customer's, else
    the shop's), so that one printed receipt reads in one language."""
    currency = result["currency"]
    _ = i18n.gettext_for(lang).gettext

    def money(minor: int) -> str:
        return i18n.money(minor, currency, lang)

    sums = [[_(RECEIPT_LABELS["subtotal"]), money(result["subtotal"])]]
    sums += [[v["name"], "−" + money(v["discount"])] for v in result["vouchers_applied"]]
    if result["points_value"]:
        sums.append([_(RECEIPT_LABELS["points"]), "−" + money(result["points_value"])])
    return {
        "lang": lang,
        "dir": i18n.direction(lang),
        "labels": {key: _(text) for key, text in RECEIPT_LABELS.items()},
        "items": [
            {
                "name": line.name or line.sku,
                "quantity": format_number(line.quantity, lang),
                "amount": money(line.quantity * line.unit_price),
            }
            for line in body.lines
        ],
        "sums": sums,
    }


def _checkout_body(sale: PosSale, currency: str) -> CheckoutIn:
    lines = []
    for i, line in enumerate(sale.lines):
        try:
            price = loyalty_view.to_minor(line.price, currency)
            lines.append(
                LineIn(
                    sku=line.sku.strip(),
                    name=line.name.strip(),
                    category=line.category.strip(),
                    quantity=line.quantity,
                    unit_price=price,
                )
            )
        except (ValueError, ValidationError):
            raise InvalidField(f"lines.{i}.price", "not a price in this currency") from None
    customer = CustomerRef(id=sale.customer_id) if sale.customer_id else None
    return CheckoutIn(
        receipt_id=sale.receipt_id,
        customer=customer,
        lines=lines,
        vouchers=sale.vouchers,
        coupon_codes=sale.coupon_codes,
        redeem_points=sale.redeem_points,
    )


# --- the page --------------------------------------------------------------------------------


def _item_json(item: TopItem, staff: Staff) -> dict[str, Any]:
    currency = staff.ctx.merchant.currency
    return {
        "sku": item.sku,
        "name": item.name,
        "category": item.category,
        "price": loyalty_view.major_text(item.unit_price, currency),
        "price_text": i18n.money(item.unit_price, currency, staff.lang),
    }


def _free_items(
    session: Session, staff: Staff, sold: list[TopItem] | None = None
) -> dict[str, dict[str, Any]]:
    """The items that free-item rewards and stamp cards give, with the name and price they sell
    under: ticking such a voucher at the till puts its item in the basket. An item never sold
    is missing here; the till then asks the cashier to add it."""
    ctx = staff.ctx
    program = loyalty.current_program(session, ctx)[1]
    skus = {r.sku for r in rewards.list_rewards(session, ctx) if r.kind == "free_item" and r.sku}
    skus |= {card.reward_sku for card in program.stamp_cards if card.reward_sku}
    if not skus:
        return {}
    sold = sold if sold is not None else top_items(session, ctx, CATALOG)
    return {item.sku: _item_json(item, staff) for item in sold if item.sku in skus}


def _page_data(session: Session, staff: Staff) -> dict[str, Any]:
    ctx = staff.ctx
    stores = merchants.list_stores(session, ctx)
    store = next((s for s in stores if s.code == "MAIN"), stores[0] if stores else None)
    _version, program, _at = loyalty.current_program(session, ctx)
    currency = ctx.merchant.currency
    sold = top_items(session, ctx, CATALOG)
    _ = i18n.gettext_for(staff.lang).gettext
    return {
        "texts": {key: _(text) for key, text in SCRIPT_TEXTS.items()},
        "store_code": store.code if store else "POS",
        "picks": [_item_json(item, staff) for item in sold[:QUICK_PICKS]],
        "free_items": _free_items(session, staff, sold),
        "points_payment": program.points_payment.enabled,
        "point_value": i18n.money(program.points_payment.point_value, currency, staff.lang),
    }


@pages.get("/pos")
def pos_page(
    request: Request, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    data = db.run(lambda s: _page_data(s, staff), write=False)
    digits = exponent(staff.ctx.merchant.currency)
    return page(
        request,
        "till/pos.html",
        staff.lang,
        staff=staff,
        section="pos",
        price_step="1" if digits == 0 else "0." + "0" * (digits - 1) + "1",
        price_digits=digits,
        currency=staff.ctx.merchant.currency,
        **data,
    )


# --- JSON endpoints --------------------------------------------------------------------------


def _find(session: Session, staff: Staff, q: str) -> dict[str, Any]:
    """A phone in any local format, else a member code (a scanner types the code, then Enter)."""
    ctx = staff.ctx
    found = None
    try:
        found = customers.lookup(session, ctx, phone=q)
    except (NotFound, InvalidField):
        try:
            found = customers.lookup(session, ctx, code=q)
        except (NotFound, InvalidField):
            raise InvalidField("q", "no such customer") from None
    return _card(session, staff, found.id)


@api.get("/customer")
def find_customer(
    q: str = Query(..., min_length=1, max_length=40),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    found = _run(staff, db, lambda s: _find(s, staff, q.strip()), write=False)
    if isinstance(found, JSONResponse):
        return _error(staff, 404, NO_CUSTOMER, "q")
    return _json(found)


@api.get("/customers/{customer_id}")
def customer_card(
    customer_id: uuid.UUID, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    found = _run(
        staff,
        db,
        lambda s: _card(s, staff, customer_id),
        write=False,
    )
    return found if isinstance(found, JSONResponse) else _json(found)


def _priced(staff: Staff, sale: PosSale) -> CheckoutIn | JSONResponse:
    try:
        return _checkout_body(sale, staff.ctx.merchant.currency)
    except InvalidField as exc:
        index = int(exc.field.split(".")[1])
        line = sale.lines[index]
        values = {"line": index + 1, "name": line.name.strip() or line.sku.strip()}
        return _error(staff, 422, BAD_LINE_PRICE, exc.field, values)


@api.post("/quote", dependencies=[Depends(check_csrf_header)])
async def quote(
    sale: PosSale, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    body = _priced(staff, sale)
    if isinstance(body, JSONResponse):
        return body

    def work(s: Session) -> dict[str, Any]:
        program = loyalty.current_program(s, staff.ctx)[1]
        return _sale_json(checkout.quote(s, staff.ctx, body), body, program, staff.lang)

    found = await _arun(staff, db, work, write=False, sale=sale)
    return found if isinstance(found, JSONResponse) else _json(found)


@api.post("/commit", dependencies=[Depends(check_csrf_header)])
async def commit(
    sale: PosSale, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    body = _priced(staff, sale)
    if isinstance(body, JSONResponse):
        return body

    def work(s: Session) -> dict[str, Any]:
        result, replayed = checkout.commit(s, staff.ctx, body)
        # A replay is priced with the program the sale was made with, for its labels too.
        purchase = checkout.get_purchase(s, staff.ctx, uuid.UUID(result["purchase_id"]))
        program = loyalty.program_version(s, staff.ctx, purchase.program_version)
        out = _sale_json(result, body, program, staff.lang) | {"replayed": replayed}
        locale = None
        # The customer's card as it is now, to replace the one the till showed before the sale.
        if result["customer_id"] is not None:
            card = loyalty_view.card(s, staff.ctx, uuid.UUID(result["customer_id"]), staff.lang)
            out["card"] = card_json(card, staff)
            locale = card["customer"].locale
        receipt_lang = i18n.choose(locale, staff.ctx.merchant.locale)
        return out | {"receipt": _receipt_json(result, body, receipt_lang)}

    found = await _arun(staff, db, work, sale=sale)
    if isinstance(found, JSONResponse):
        return found
    return _json(found, 200 if found["replayed"] else 201)


@api.post("/coupon", dependencies=[Depends(check_csrf_header)])
async def check_coupon(
    data: PosCoupon,
    request: Request,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    """May this code go on this basket, with the coupons already on it? The reason if not, in
    the cashier's language; the code as printed if so."""
    if not COUPON_CHECKS.hit(client_ip(request)):
        wait = COUPON_CHECKS.retry_after(client_ip(request))
        answer = _error(staff, 429, ERROR_TEXT.get(429, ERROR_TEXT[400]))
        answer.headers["Retry-After"] = str(wait)
        return answer
    if not data.lines:
        return _error(staff, 422, ITEMS_FIRST, "lines")
    sale = PosSale(
        receipt_id="check",
        customer_id=data.customer_id,
        lines=data.lines,
        coupon_codes=[*data.coupon_codes, data.code],
    )
    body = _priced(staff, sale)
    if isinstance(body, JSONResponse):
        return body
    where = len(data.coupon_codes)

    def work(s: Session) -> dict[str, Any]:
        result = checkout.quote(s, staff.ctx, body)
        return {"valid": True, "code": result["discounts"][where]["code"]}

    try:
        found = await db.arun(work, write=False)
    except offers.Refused as exc:
        if exc.field != f"coupon_codes.{where}":  # a coupon already on the basket went bad
            return _problem(staff, exc)
        text = reason_text(exc.reason_code, staff.lang)
        return _json({"valid": False, "reason_code": exc.reason_code, "reason": text})
    except ProblemError as exc:
        return _problem(staff, exc)
    return _json(found)


@api.post("/redeem", dependencies=[Depends(check_csrf_header)])
def redeem(
    data: PosRedeem, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    def work(s: Session) -> dict[str, Any]:
        voucher, _balance = rewards.redeem(
            s, staff.ctx, data.customer_id, data.reward_id, data.request_key
        )
        card = _card(s, staff, data.customer_id)
        return {"voucher": voucher.code, "name": voucher.name, "card": card}

    found = _run(staff, db, work)
    if isinstance(found, JSONResponse):
        return found
    return _json(found, 201)

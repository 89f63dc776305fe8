"""Staff pages: sign in and out, language, the customers list, one customer, a new customer."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.customers.identity import display_phone
from regulars.customers.models import CHANNELS
from regulars.customers.schemas import CustomerCreate, NoteCreate
from regulars.db import Database
from regulars.kit.errors import Conflict, InvalidField, Unauthorized
from regulars.kit.pagination import PageRequest, decode_cursor
from regulars.loyalty import service as loyalty
from regulars.merchants import service as merchants
from regulars.referrals import service as referrals
from regulars.timeline import timeline as full_timeline
from regulars.web import history_view, i18n, loyalty_view
from regulars.web.i18n import N_
from regulars.web.render import page, scalable_svg
from regulars.web.routing import PageRoute, Staff, current_staff, database, request_lang
from regulars.web.session import check_csrf, client_ip, limits, safe_next
from regulars.web.staff.history import LATEST

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_SIZE = 25
LEDGER_ROWS = 10

FIELD_ERRORS = {
    "name": N_("Give at least a name, a phone number or an email address."),
    "phone": N_("This phone number is not valid."),
    "email": N_("This email address is not valid."),
    "birthday": N_("This date is not valid."),
    "tags": N_("Each tag is 1 to 40 characters."),
    "body": N_("Write a note first."),
}


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


# --- sign in, sign out, language ---------------------------------------------------------------


@router.get("/")
def home(staff: Staff = Depends(current_staff)) -> Response:
    """Owners and managers land on the dashboard, cashiers on the customers."""
    return _redirect("/dashboard" if staff.ctx.actor.at_least("manager") else "/customers")


@router.get("/login")
def login_form(request: Request, next: str | None = Query(None, max_length=500)) -> Response:
    if "lang" in request.query_params and i18n.supported(request.query_params["lang"]):
        request.session["lang"] = i18n.supported(request.query_params["lang"])
    if request.session.get("staff"):
        return _redirect(safe_next(next))
    return page(request, "login.html", request_lang(request), next=safe_next(next), email="")


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(
    request: Request,
    email: str = Form("", max_length=254),
    password: str = Form("", max_length=200),
    next: str = Form("/customers", max_length=500),
    db: Database = Depends(database),
) -> Response:
    lang = request_lang(request)
    account = email.strip().lower()
    allowed = limits(request).login_ip.hit(client_ip(request))
    allowed = limits(request).login_account.hit(account) and allowed
    values: dict[str, Any] = {"next": safe_next(next), "email": email}
    if not allowed:
        error = N_("Too many attempts. Wait a few minutes and try again.")
        return page(request, "login.html", lang, status=429, error=error, **values)
    try:
        ctx = db.run(lambda s: merchants.staff_login(s, email, password))
    except Unauthorized:
        error = N_("The email or the password is wrong.")
        return page(request, "login.html", lang, status=401, error=error, **values)
    limits(request).login_account.reset(account)
    kept_lang = request.session.get("lang")
    request.session.clear()  # a fresh session (and CSRF token) for the signed-in user
    request.session["staff"] = {"merchant_id": str(ctx.merchant_id), "staff_id": str(ctx.actor.id)}
    if kept_lang:
        request.session["lang"] = kept_lang
    return _redirect(safe_next(next))


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    request.session.clear()
    return _redirect("/login")


@router.post("/lang", dependencies=[Depends(check_csrf)])
def choose_language(
    request: Request,
    lang: str = Form(..., max_length=16),
    next: str = Form("/customers", max_length=500),
) -> Response:
    chosen = i18n.supported(lang)
    if chosen:
        request.session["lang"] = chosen
    return _redirect(safe_next(next))


# --- customers ---------------------------------------------------------------------------------


def _phone(value: str | None) -> str:
    return display_phone(value) if value else ""


@router.get("/customers")
def customer_list(
    request: Request,
    q: str = Query("", max_length=200),
    cursor: str | None = Query(None, max_length=64),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    req = PageRequest(limit=PAGE_SIZE, after=decode_cursor(cursor) if cursor else None)
    found = db.run(lambda s: customers.list_customers(s, staff.ctx, req, q), write=False)
    rows = [
        {
            "id": c.id,
            "name": c.name,
            "phone": _phone(c.phone),
            "code": c.member_code,
            "tags": c.tags,
        }
        for c in found.data
    ]
    return page(
        request,
        "staff/customers.html",
        staff.lang,
        staff=staff,
        section="customers",
        q=q,
        rows=rows,
        next_cursor=found.next_cursor,
        first_page=cursor is None,
    )


def _new_form(request: Request, staff: Staff, status: int = 200, **values: Any) -> Response:
    values.setdefault("form", {})
    values.setdefault("errors", {})
    return page(
        request,
        "staff/customer_new.html",
        staff.lang,
        status=status,
        staff=staff,
        section="customers",
        channels=CHANNELS,
        **values,
    )


@router.get("/customers/new")
def new_customer_form(request: Request, staff: Staff = Depends(current_staff)) -> Response:
    return _new_form(request, staff, form={"consent": []})


def _field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "name"
        errors.setdefault(field, FIELD_ERRORS.get(field, FIELD_ERRORS["name"]))
    return errors


def _invalid_fields(exc: InvalidField) -> dict[str, str]:
    fields = [str(e["field"]) for e in exc.errors] or [exc.field]
    return {f: FIELD_ERRORS.get(f, FIELD_ERRORS["name"]) for f in fields}


def _contact_errors(staff: Staff, fields: dict[str, Any]) -> dict[str, str]:
    """The phone's and email's own errors, for a form that the schema already refused, so that
    every wrong field is marked at once."""
    contact = {k: fields[k] for k in ("phone", "email") if fields.get(k)}
    try:
        customers.normalize_profile(staff.ctx, contact)
    except InvalidField as exc:
        return _invalid_fields(exc)
    return {}


@router.post("/customers/new", dependencies=[Depends(check_csrf)])
def create_customer(
    request: Request,
    name: str = Form("", max_length=200),
    phone: str = Form("", max_length=40),
    email: str = Form("", max_length=254),
    birthday: str = Form("", max_length=10),
    locale: str = Form("", max_length=16),
    tags: str = Form("", max_length=1000),
    consent: list[str] = Form([]),
    referral_code: str = Form("", max_length=40),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    form = {"name": name, "phone": phone, "email": email, "birthday": birthday, "locale": locale}
    form["referral_code"] = referral_code
    form = {k: v.strip() for k, v in form.items()}
    consent = [c for c in consent if c in CHANNELS]
    shown = dict(form, tags=tags, consent=consent)
    fields: dict[str, Any] = {k: v for k, v in form.items() if v}
    tag_list = [t.strip() for t in tags.split(",") if t.strip()]
    if tag_list:
        fields["tags"] = tag_list
    if consent:
        fields["consent"] = {c: True for c in consent}
        fields["consent_source"] = "staff"
    try:
        data = CustomerCreate(**fields)
    except ValidationError as exc:
        errors = _field_errors(exc) | _contact_errors(staff, fields)
        return _new_form(request, staff, 422, form=shown, errors=errors)
    try:
        customer = db.run(lambda s: referrals.create_customer(s, staff.ctx, data, source="staff"))
    except referrals.ReferralRefused as exc:
        error = referrals.REASONS[exc.reason_code]
        return _new_form(request, staff, 422, form=shown, errors={"referral_code": error})
    except InvalidField as exc:
        return _new_form(request, staff, 422, form=shown, errors=_invalid_fields(exc))
    except Conflict:
        error = N_("Another customer already has this phone number or email address.")
        return _new_form(request, staff, 409, form=shown, errors={"phone": error})
    return _redirect(f"/customers/{customer.id}")


TIMELINE_KINDS = {
    "note": N_("Note"),
    "purchase": N_("Purchase"),
    "message": N_("Message"),
    "ticket": N_("Complaint"),
    "survey": N_("Survey"),
    "review": N_("Review"),
    "service_visit": N_("Service visit"),
}
TIMELINE_STATUSES = {
    "refunded": N_("refunded"),
    "pending": N_("waiting to be sent"),
    "sending": N_("sending"),
    "sent": N_("sent"),
    "failed": N_("will retry"),
    "dead": N_("not delivered"),
    "skipped": N_("not sent"),
    "open": N_("open"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
    "answered": N_("answered"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
}


def _customer_view(session: Session, staff: Staff, customer_id: uuid.UUID) -> dict[str, Any]:
    """Everything the customer page shows; the look at personal data is itself audited."""
    customer = customers.get_customer(session, staff.ctx, customer_id)
    entries = full_timeline(session, staff.ctx, customer_id)
    merchants.record_audit(session, staff.ctx, "customer.viewed", "customer", customer.id)
    program = loyalty.current_program(session, staff.ctx)[1]
    recent = loyalty.list_ledger(session, staff.ctx, customer.id, PageRequest(limit=LEDGER_ROWS))
    names = loyalty_view.reward_names(session, staff.ctx)
    ledger_rows = [
        {
            "at": e.created_at,
            "points": e.points,
            "kind": loyalty_view.kind_text(e.kind, staff.lang),
            "reason": loyalty_view.reason_text(e.reason, staff.lang, program, e.kind, names),
            "message": e.message,
        }
        for e in recent.data
    ]
    return {
        "loyalty": loyalty_view.card(session, staff.ctx, customer.id, staff.lang),
        "ledger": ledger_rows,
        "customer": customer,
        "phone": _phone(customer.phone),
        "consent": customer.consent,
        "timeline": entries,
        "timeline_kinds": TIMELINE_KINDS,
        "timeline_statuses": TIMELINE_STATUSES,
        "qr": customers.member_qr(customer.member_code),
        "history": history_view.purchase_history(
            session, staff.ctx, customer.id, PageRequest(limit=LATEST), staff.lang
        ),
    }


def customer_page_response(
    request: Request,
    staff: Staff,
    db: Database,
    customer_id: uuid.UUID,
    status: int = 200,
    note_error: str | None = None,
    adjust_form: dict[str, str] | None = None,
    adjust_errors: dict[str, str] | None = None,
    merged: bool = False,
) -> Response:
    view = db.run(lambda s: _customer_view(s, staff, customer_id))
    return page(
        request,
        "staff/customer.html",
        staff.lang,
        status=status,
        staff=staff,
        section="customers",
        channels=CHANNELS,
        tz=staff.ctx.merchant.timezone,
        qr_svg=scalable_svg(view.pop("qr"), view["customer"].member_code),
        note_error=note_error,
        adjust_form=adjust_form or {},
        adjust_errors=adjust_errors or {},
        manager=staff.ctx.actor.at_least("manager"),
        merged=merged,
        **view,
    )


@router.get("/customers/{customer_id}")
def customer_page(
    request: Request,
    customer_id: uuid.UUID,
    merged: bool = Query(False),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    return customer_page_response(request, staff, db, customer_id, merged=merged)


@router.post("/customers/{customer_id}/notes", dependencies=[Depends(check_csrf)])
def add_note(
    request: Request,
    customer_id: uuid.UUID,
    body: str = Form("", max_length=8000),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    try:
        note = NoteCreate(body=body.strip())
    except ValidationError:
        return customer_page_response(request, staff, db, customer_id, 422, FIELD_ERRORS["body"])
    db.run(lambda s: customers.add_note(s, staff.ctx, customer_id, note))
    return _redirect(f"/customers/{customer_id}#timeline")

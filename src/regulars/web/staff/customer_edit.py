"""Staff page: change a customer's profile, custom fields and consent per channel."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from regulars.customers import service as customers
from regulars.customers.identity import display_phone, parse_email, parse_phone
from regulars.customers.models import CHANNELS, Customer
from regulars.customers.schemas import CustomerUpdate
from regulars.db import Database
from regulars.kit.errors import Conflict, InvalidField
from regulars.web.i18n import N_
from regulars.web.render import page
from regulars.web.routing import PageRoute, Staff, current_staff, database
from regulars.web.session import check_csrf
from regulars.web.staff.customers import FIELD_ERRORS

router = APIRouter(route_class=PageRoute, include_in_schema=False)

EDIT_ERRORS = FIELD_ERRORS | {
    "anniversary": FIELD_ERRORS["birthday"],
    "attributes": N_("Give each custom field its own name (all of them at most 4,000 characters)."),
    "taken_phone": N_("Another customer already has this phone number."),
    "taken_email": N_("Another customer already has this email address."),
}
BLANK_ATTRIBUTE_ROWS = 2


def _shown_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _form_of(customer: Customer) -> dict[str, Any]:
    consent = customer.consent
    return {
        "name": customer.name or "",
        "phone": display_phone(customer.phone) if customer.phone else "",
        "email": customer.email or "",
        "birthday": customer.birthday.isoformat() if customer.birthday else "",
        "anniversary": customer.anniversary.isoformat() if customer.anniversary else "",
        "locale": customer.locale or "",
        "tags": ", ".join(customer.tags),
        "attributes": [(k, _shown_value(v)) for k, v in sorted(customer.attributes.items())],
        "consent": {
            ch: ("yes" if consent[ch].granted else "no") if ch in consent else "" for ch in CHANNELS
        },
    }


def _edit_page(
    request: Request,
    staff: Staff,
    customer: Customer,
    form: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
    bad_rows: set[int] | None = None,
) -> Response:
    rows = list(form["attributes"]) + [("", "")] * BLANK_ATTRIBUTE_ROWS
    return page(
        request,
        "staff/customer_edit.html",
        staff.lang,
        status=status,
        staff=staff,
        section="customers",
        customer=customer,
        channels=CHANNELS,
        asked={ch for ch in CHANNELS if ch in customer.consent},
        form=form,
        attribute_rows=rows,
        bad_rows=bad_rows or set(),
        errors=errors or {},
    )


@router.get("/customers/{customer_id}/edit")
def edit_form(
    request: Request,
    customer_id: uuid.UUID,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    customer = db.run(lambda s: customers.get_customer(s, staff.ctx, customer_id), write=False)
    return _edit_page(request, staff, customer, _form_of(customer))


def _attributes(
    pairs: list[tuple[str, str]], current: dict[str, Any]
) -> tuple[dict[str, Any], set[int]]:
    """The custom fields as typed, and the rows that are wrong (a value without a name, a name
    used twice). A value left as shown keeps its stored type (a number stays a number)."""
    out: dict[str, Any] = {}
    bad: set[int] = set()
    for i, (key, value) in enumerate(pairs):
        key, value = key.strip(), value.strip()
        if not key or key in out:
            bad.add(i)
            continue
        kept = current.get(key)
        out[key] = kept if kept is not None and _shown_value(kept) == value else value
    return out, bad


def _check_contacts(staff: Staff, fields: dict[str, Any]) -> dict[str, str]:
    """Phone and email are checked together, so both are marked when both are wrong."""
    errors: dict[str, str] = {}
    checks = (
        ("phone", lambda v: parse_phone(v, staff.ctx.merchant.country)),
        ("email", parse_email),
    )
    for field, parse in checks:
        if fields.get(field):
            try:
                parse(fields[field])
            except InvalidField:
                errors[field] = EDIT_ERRORS[field]
    return errors


@router.post("/customers/{customer_id}/edit", dependencies=[Depends(check_csrf)])
def save_customer(
    request: Request,
    customer_id: uuid.UUID,
    name: str = Form("", max_length=200),
    phone: str = Form("", max_length=40),
    email: str = Form("", max_length=254),
    birthday: str = Form("", max_length=10),
    anniversary: str = Form("", max_length=10),
    locale: str = Form("", max_length=16),
    tags: str = Form("", max_length=1500),
    attr_key: list[str] = Form([]),
    attr_value: list[str] = Form([]),
    consent_choice: list[str] = Form([], alias="consent"),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    customer = db.run(lambda s: customers.get_customer(s, staff.ctx, customer_id), write=False)
    raw = {ch: answer for ch, _sep, answer in (c.partition(":") for c in consent_choice)}
    texts = {
        "name": name,
        "phone": phone,
        "email": email,
        "birthday": birthday,
        "anniversary": anniversary,
        "locale": locale,
    }
    texts = {k: v.strip() for k, v in texts.items()}
    pairs = [(k[:100], v[:1000]) for k, v in zip(attr_key, attr_value, strict=False)]
    form: dict[str, Any] = dict(texts, tags=tags)
    form["attributes"] = [p for p in pairs if p[0].strip() or p[1].strip()]
    attributes, bad_rows = _attributes(form["attributes"], customer.attributes)
    form["consent"] = {ch: raw.get(ch, "") for ch in CHANNELS}
    fields: dict[str, Any] = {k: (v or None) for k, v in texts.items()}
    fields["tags"] = [t.strip() for t in tags.split(",") if t.strip()]
    consent = {ch: raw[ch] == "yes" for ch in CHANNELS if raw.get(ch) in ("yes", "no")}
    if consent:
        fields["consent"], fields["consent_source"] = consent, "staff"
    errors = _check_contacts(staff, fields)
    fields["attributes"] = attributes
    if bad_rows:
        errors["attributes"] = EDIT_ERRORS["attributes"]
    try:
        data = CustomerUpdate(**fields)
    except ValidationError as exc:
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "name"
            errors.setdefault(field, EDIT_ERRORS.get(field, EDIT_ERRORS["name"]))
        data = None
    if data is None or errors:
        return _edit_page(request, staff, customer, form, errors, 422, bad_rows)
    try:
        db.run(lambda s: customers.update_customer(s, staff.ctx, customer_id, data))
    except InvalidField as exc:
        errors[exc.field] = EDIT_ERRORS.get(exc.field, EDIT_ERRORS["name"])
        return _edit_page(request, staff, customer, form, errors, 422)
    except Conflict as exc:
        field = exc.errors[0]["field"] if exc.errors else "phone"
        errors[field] = EDIT_ERRORS["taken_email" if field == "email" else "taken_phone"]
        return _edit_page(request, staff, customer, form, errors, 409)
    return RedirectResponse(f"/customers/{customer_id}", status_code=303)

"""Staff pages for automated messages: the automations with their switches and settings, the log
of what they sent, the templates grid (kinds × languages), one template's editor and its preview
for a chosen customer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from regulars.automations import config, log
from regulars.automations.schemas import SETTINGS, AutomationIn
from regulars.db import Database
from regulars.kit.context import Ctx
from regulars.kit.errors import InvalidField, NotFound
from regulars.merchants import service as merchants
from regulars.message_templates import preview as previews
from regulars.message_templates import render as r
from regulars.message_templates import service as templates
from regulars.message_templates.schemas import TemplateIn
from regulars.offers import service as offers
from regulars.web.i18n import N_
from regulars.web.render import page
from regulars.web.routing import PageRoute, Staff, current_staff, database
from regulars.web.session import check_csrf
from regulars.web.staff.events import find_customer

router = APIRouter(route_class=PageRoute, include_in_schema=False)

NAMES = {
    "welcome": N_("Welcome"),
    "birthday": N_("Birthday"),
    "anniversary": N_("Anniversary"),
    "restock": N_("Back in stock"),
    "winback": N_("We miss you"),
    "points_expiring": N_("Points expiring"),
    "tier_up": N_("New tier"),
    "reward_unlocked": N_("Reward unlocked"),
    "thank_you": N_("Thank you"),
}
LABELS = {
    "campaign_id": N_("Coupon campaign for the personal code"),
    "valid_days": N_("Days the code is valid"),
    "days": N_("Days"),
    "min_visits": N_("Visits that make an item a favourite"),
    "min_total": N_("Smallest sale thanked (minor units)"),
}
BAD_SETTING = N_("Check this value.")
NO_CUSTOMER = N_("No customer with this phone number or member code.")


def _page(
    request: Request, staff: Staff, template: str, status: int = 200, **values: Any
) -> Response:
    return page(request, template, staff.lang, status=status, staff=staff, section="messages",
                tz=staff.ctx.merchant.timezone, names=NAMES, **values)  # fmt: skip


def _automations(session: Session, ctx: Ctx) -> dict[str, Any]:
    return {
        "automations": config.list_all(session, ctx),
        "campaigns": [(c.id, c.name) for c in offers.list_campaigns(session, ctx)],
        "fields": {k: list(SETTINGS[k].model_fields) for k in SETTINGS},
    }


@router.get("/automations")
def automations_page(
    request: Request, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    merchants.require_role(staff.ctx, "manager")
    found = db.run(lambda s: _automations(s, staff.ctx), write=False)
    return _page(request, staff, "staff/automations.html", labels=LABELS, errors={}, **found)


@router.post("/automations/{kind}", dependencies=[Depends(check_csrf)])
async def save_automation(
    kind: str,
    request: Request,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    merchants.require_role(staff.ctx, "manager")
    config.check_kind(kind)
    form = await request.form()
    values: dict[str, Any] = {"enabled": form.get("enabled") == "on"}
    for name in SETTINGS[kind].model_fields:
        raw = str(form.get(name, "")).strip()
        values[name] = raw or None
    body = AutomationIn.model_validate(values)
    try:
        db.run(lambda s: config.put(s, staff.ctx, kind, body))
    except InvalidField as exc:
        found = db.run(lambda s: _automations(s, staff.ctx), write=False)
        errors = {kind: {e["field"]: BAD_SETTING for e in exc.errors}}
        return _page(request, staff, "staff/automations.html", 422, labels=LABELS, errors=errors,
                     **found)  # fmt: skip
    return RedirectResponse(f"/automations#{kind}", status_code=303)


@router.get("/automations/log")
def log_page(
    request: Request, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    merchants.require_role(staff.ctx, "manager")
    rows = db.run(lambda s: log.entries(s, staff.ctx, limit=200), write=False)
    return _page(request, staff, "staff/automation_log.html", rows=rows)


@router.get("/message-templates")
def templates_page(
    request: Request, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    merchants.require_role(staff.ctx, "manager")
    custom = db.run(lambda s: templates.custom_set(s, staff.ctx), write=False)
    return _page(request, staff, "staff/message_templates.html", kinds=r.KINDS,
                 locales=r.LOCALES, custom=custom)  # fmt: skip


def _editor(request: Request, staff: Staff, db: Database, kind: str, locale: str, status: int = 200,
            form: dict[str, str] | None = None, error: str | None = None) -> Response:  # fmt: skip
    typed = request.query_params.get("customer", "").strip()

    def load(s: Session) -> dict[str, Any]:
        shown = templates.template_out(s, staff.ctx, kind, locale)
        found: dict[str, Any] = {"shown": shown, "typed": typed, "who": None, "missing": False}
        if typed:
            try:
                customer = find_customer(s, staff.ctx, typed)
            except InvalidField:
                found["missing"] = True
                return found
            lang, out = previews.preview(s, staff.ctx, kind, customer.id)
            found["who"] = {"name": customer.name, "code": customer.member_code, "lang": lang,
                            "subject": out.subject, "body": out.body}  # fmt: skip
        return found

    try:
        found = db.run(load, write=False)
    except NotFound:
        raise
    form = form or {"subject": found["shown"]["subject"], "body": found["shown"]["body"]}
    return _page(request, staff, "staff/message_template.html", status, kind=kind, locale=locale,
                 form=form, error=error, no_customer=NO_CUSTOMER, **found)  # fmt: skip


@router.get("/message-templates/{kind}/{locale}")
def template_page(
    kind: str,
    locale: str,
    request: Request,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    merchants.require_role(staff.ctx, "manager")
    return _editor(request, staff, db, kind, locale)


@router.post("/message-templates/{kind}/{locale}", dependencies=[Depends(check_csrf)])
def save_template(
    kind: str,
    locale: str,
    request: Request,
    subject: str = Form(""),
    body: str = Form(""),
    reset: str = Form(""),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    merchants.require_role(staff.ctx, "manager")
    if reset:
        db.run(lambda s: templates.reset_template(s, staff.ctx, kind, locale))
        return RedirectResponse(f"/message-templates/{kind}/{locale}", status_code=303)
    form = {"subject": subject, "body": body}
    try:
        data = TemplateIn.model_validate(form)
        db.run(lambda s: templates.put_template(s, staff.ctx, kind, locale, data))
    except InvalidField as exc:
        return _editor(request, staff, db, kind, locale, 422, form, exc.errors[0]["message"])
    except ValueError as exc:  # empty or too long
        return _editor(request, staff, db, kind, locale, 422, form, str(exc).splitlines()[0])
    return RedirectResponse(f"/message-templates/{kind}/{locale}", status_code=303)

"""Staff coupon pages: the campaigns, a new one, changing one, making its codes (with progress)
and downloading them as codes.csv."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse
from pydantic import ValidationError

from regulars.db import Database
from regulars.kit.errors import Conflict, InvalidField
from regulars.merchants import service as merchants
from regulars.offers import jobs
from regulars.offers import service as offers
from regulars.offers.schemas import CampaignCreate, CampaignUpdate, CodesCreate
from regulars.web.i18n import N_
from regulars.web.loyalty_view import major_text, to_minor
from regulars.web.render import page
from regulars.web.routing import PageRoute, Staff, current_staff, database
from regulars.web.session import check_csrf

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ERRORS = {
    "name": N_("Give the campaign a name."),
    "value": N_("An amount above 0, or a percent from 1 to 100, for this kind."),
    "sku": N_("The SKU of the free item is needed for this kind."),
    "code": N_("Letters and digits only, 3 to 32; not a code already in use."),
    "min_spend": N_("An amount, or empty."),
    "total_limit": N_("A whole number above 0, not below the uses so far, or empty."),
    "per_customer_limit": N_("A whole number above 0, or empty."),
    "starts_at": N_("A date, or empty."),
    "ends_at": N_("A date after the start, or empty."),
    "count": N_("From 1 to 1,000,000 codes."),
    "kind": N_("Choose a kind."),
}
FIELDS = ("name", "kind", "value", "sku", "code", "min_spend", "total_limit",
          "per_customer_limit", "starts_at", "ends_at")  # fmt: skip


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _day_start(text: str, timezone: str, after: int = 0) -> datetime | None:
    """The start of a day typed as YYYY-MM-DD, in the shop's time zone (`after` days later)."""
    if not text:
        return None
    day = date.fromisoformat(text) + timedelta(days=after)
    return datetime.combine(day, time(0), ZoneInfo(timezone))


def _parse(
    form: dict[str, str], currency: str, timezone: str, kind: str
) -> tuple[dict[str, Any], dict[str, str]]:
    fields: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key in ("name", "sku", "code"):
        if key in form:
            fields[key] = form[key] or None
    if "value" in form:
        try:
            if kind == "amount_off":
                fields["value"] = to_minor(form["value"], currency)
            else:
                fields["value"] = int(form["value"] or 0)
        except ValueError:
            errors["value"] = ERRORS["value"]
    if form.get("min_spend") is not None:
        try:
            fields["min_spend"] = to_minor(form["min_spend"], currency) if form["min_spend"] else 0
        except ValueError:
            errors["min_spend"] = ERRORS["min_spend"]
    for key in ("total_limit", "per_customer_limit"):
        if key in form:
            try:
                fields[key] = int(form[key]) if form[key] else None
            except ValueError:
                errors[key] = ERRORS[key]
    for key, after in (("starts_at", 0), ("ends_at", 1)):  # an end date is the whole day
        if key in form:
            try:
                fields[key] = _day_start(form[key], timezone, after)
            except ValueError:
                errors[key] = ERRORS[key]
    return fields, errors


def _validation_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        key = str(err["loc"][0]) if err["loc"] else ""
        if key not in ERRORS:
            key = str(err["msg"]).removeprefix("Value error, ").split(":")[0]
        errors.setdefault(key if key in ERRORS else "name", ERRORS.get(key, ERRORS["name"]))
    return errors


def _row(campaign: Any, code: str | None) -> dict[str, Any]:
    return {"c": campaign, "code": offers.printed(code) if code else None}


def _list_page(
    request: Request,
    staff: Staff,
    db: Database,
    status: int = 200,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    def read(s: Any) -> list[dict[str, Any]]:
        return [
            _row(c, offers.shared_code(s, staff.ctx, c.id))
            for c in offers.list_campaigns(s, staff.ctx)
        ]

    return page(
        request,
        "staff/coupons.html",
        staff.lang,
        status=status,
        staff=staff,
        section="coupons",
        campaigns=db.run(read, write=False),
        form=form or {"kind": "percent_off"},
        errors=errors or {},
        currency=staff.ctx.merchant.currency,
        manager=staff.ctx.actor.at_least("manager"),
    )


@router.get("/coupons")
def coupons(
    request: Request, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    return _list_page(request, staff, db)


@router.post("/coupons", dependencies=[Depends(check_csrf)])
def create_campaign(
    request: Request,
    name: str = Form("", max_length=200),
    kind: str = Form("percent_off", max_length=16),
    value: str = Form("", max_length=24),
    sku: str = Form("", max_length=64),
    code: str = Form("", max_length=64),
    min_spend: str = Form("", max_length=24),
    total_limit: str = Form("", max_length=12),
    per_customer_limit: str = Form("", max_length=12),
    starts_at: str = Form("", max_length=10),
    ends_at: str = Form("", max_length=10),
    stackable: bool = Form(False),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    merchants.require_role(staff.ctx, "manager")
    values = (name, kind, value, sku, code, min_spend, total_limit, per_customer_limit,
              starts_at, ends_at)  # fmt: skip
    form = {k: v.strip() for k, v in zip(FIELDS, values, strict=True)}
    merchant = staff.ctx.merchant
    fields, errors = _parse(form, merchant.currency, merchant.timezone, form["kind"])
    data: CampaignCreate | None = None
    try:
        data = CampaignCreate(kind=form["kind"], stackable=stackable, **fields)
    except ValidationError as exc:
        errors = _validation_errors(exc) | errors
    if errors or data is None:
        return _list_page(request, staff, db, 422, form | {"stackable": stackable}, errors)
    try:
        made = db.run(lambda s: offers.create_campaign(s, staff.ctx, data))
    except InvalidField as exc:
        key = exc.field if exc.field in ERRORS else "name"
        return _list_page(request, staff, db, 422, form, {key: ERRORS[key]})
    except Conflict:
        return _list_page(request, staff, db, 422, form, {"code": ERRORS["code"]})
    return _redirect(f"/coupons/{made.id}")


def _campaign_page(
    request: Request,
    staff: Staff,
    db: Database,
    campaign_id: uuid.UUID,
    status: int = 200,
    errors: dict[str, str] | None = None,
    job_id: uuid.UUID | None = None,
) -> Response:
    def read(s: Any) -> dict[str, Any]:
        campaign = offers.get_campaign(s, staff.ctx, campaign_id)
        job = jobs.get_job(s, staff.ctx, campaign_id, job_id) if job_id else None
        return {
            "row": _row(campaign, offers.shared_code(s, staff.ctx, campaign.id)),
            "codes": offers.count_codes(s, staff.ctx, campaign.id),
            "job": job,
        }

    found = db.run(read, write=False)
    c = found["row"]["c"]
    zone = ZoneInfo(staff.ctx.merchant.timezone)
    currency = staff.ctx.merchant.currency
    form = {
        "name": c.name,
        "value": major_text(c.value, currency) if c.kind == "amount_off" else str(c.value),
        "min_spend": major_text(c.min_spend, currency) if c.min_spend else "",
        "total_limit": "" if c.total_limit is None else str(c.total_limit),
        "per_customer_limit": "" if c.per_customer_limit is None else str(c.per_customer_limit),
        "ends_at": (c.ends_at.astimezone(zone) - timedelta(days=1)).date().isoformat()
        if c.ends_at
        else "",
    }
    return page(
        request,
        "staff/coupon.html",
        staff.lang,
        status=status,
        staff=staff,
        section="coupons",
        row=found["row"],
        codes=found["codes"],
        job=found["job"],
        form=form,
        errors=errors or {},
        currency=currency,
        manager=staff.ctx.actor.at_least("manager"),
    )


@router.get("/coupons/{campaign_id}")
def campaign_page(
    request: Request,
    campaign_id: uuid.UUID,
    job: uuid.UUID | None = None,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    return _campaign_page(request, staff, db, campaign_id, job_id=job)


@router.post("/coupons/{campaign_id}", dependencies=[Depends(check_csrf)])
def update_campaign(
    request: Request,
    campaign_id: uuid.UUID,
    name: str = Form("", max_length=200),
    value: str = Form("", max_length=24),
    min_spend: str = Form("", max_length=24),
    total_limit: str = Form("", max_length=12),
    per_customer_limit: str = Form("", max_length=12),
    ends_at: str = Form("", max_length=10),
    stackable: bool = Form(False),
    active: bool = Form(False),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    merchants.require_role(staff.ctx, "manager")
    kind = db.run(lambda s: offers.get_campaign(s, staff.ctx, campaign_id).kind, write=False)
    form = {"name": name, "min_spend": min_spend, "total_limit": total_limit,
            "per_customer_limit": per_customer_limit, "ends_at": ends_at}  # fmt: skip
    if kind != "free_item":
        form["value"] = value
    form = {k: v.strip() for k, v in form.items()}
    merchant = staff.ctx.merchant
    fields, errors = _parse(form, merchant.currency, merchant.timezone, kind)
    data: CampaignUpdate | None = None
    try:
        data = CampaignUpdate(stackable=stackable, active=active, **fields)
    except ValidationError as exc:
        errors = _validation_errors(exc) | errors
    if errors or data is None:
        return _campaign_page(request, staff, db, campaign_id, 422, errors)
    try:
        db.run(lambda s: offers.update_campaign(s, staff.ctx, campaign_id, data))
    except InvalidField as exc:
        key = exc.field if exc.field in ERRORS else "name"
        return _campaign_page(request, staff, db, campaign_id, 422, {key: ERRORS[key]})
    return _redirect(f"/coupons/{campaign_id}")


@router.post("/coupons/{campaign_id}/codes", dependencies=[Depends(check_csrf)])
def make_codes(
    request: Request,
    campaign_id: uuid.UUID,
    count: str = Form("", max_length=12),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    merchants.require_role(staff.ctx, "manager")
    try:
        data = CodesCreate(count=int(count.strip().replace(",", "")))
    except (ValueError, ValidationError):
        return _campaign_page(request, staff, db, campaign_id, 422, {"count": ERRORS["count"]})
    job = jobs.start(db, staff.ctx, campaign_id, data.count)
    return _redirect(f"/coupons/{campaign_id}?job={job.id}")


@router.get("/coupons/{campaign_id}/jobs/{job_id}/status")
def job_status(
    campaign_id: uuid.UUID,
    job_id: uuid.UUID,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    job = db.run(lambda s: jobs.get_job(s, staff.ctx, campaign_id, job_id), write=False)
    percent = 100 * job.done // job.count if job.count else 100
    body = {"status": job.status, "done": job.done, "count": job.count, "percent": percent}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/coupons/{campaign_id}/codes.csv")
def download_codes(
    campaign_id: uuid.UUID,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    db.run(lambda s: offers.export_codes(s, staff.ctx, campaign_id), write=False)
    return StreamingResponse(
        jobs.csv_chunks(db, staff.ctx, campaign_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="codes-{campaign_id}.csv"'},
    )

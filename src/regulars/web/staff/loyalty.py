"""Staff loyalty pages: the program settings, the rewards catalogue, points adjustments."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from regulars.db import Database
from regulars.kit.errors import InvalidField
from regulars.loyalty import ledger
from regulars.loyalty import rewards as loyalty_rewards
from regulars.loyalty import service as loyalty
from regulars.loyalty.schemas import AdjustmentCreate, RewardCreate, RewardUpdate
from regulars.merchants import service as merchants
from regulars.web import i18n
from regulars.web.i18n import N_
from regulars.web.loyalty_view import to_minor
from regulars.web.render import page
from regulars.web.routing import PageRoute, Staff, current_staff, database
from regulars.web.session import check_csrf
from regulars.web.staff import program_form
from regulars.web.staff.customers import customer_page_response

router = APIRouter(route_class=PageRoute, include_in_schema=False)

REWARD_ERRORS = {
    "name": N_("Give the reward a name."),
    "cost_points": N_("A whole number of points, more than 0."),
    "amount": N_("An amount off, more than 0, is needed for this kind."),
    "percent": N_("A percent from 1 to 100 is needed for this kind."),
    "sku": N_("The SKU of the free item is needed for this kind."),
    "stock": N_("Leave empty for unlimited, or a whole number."),
    "valid_days": N_("From 1 to 3650 days."),
    "kind": program_form.GENERIC,
}
ADJUST_ERRORS = {
    "points": N_("A whole number of points, not 0 (minus takes points away)."),
    "reason": N_("Write why (at least 3 characters)."),
}


async def names_form(request: Request) -> dict[str, str]:
    """A name's translations as typed in the `name_<lang>` fields (empty ones left out)."""
    data = await request.form()
    found = {lang: str(data.get(f"name_{lang}", "")).strip()[:120] for lang in i18n.LANGUAGES}
    return {lang: text for lang, text in found.items() if text}


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


# --- program settings ------------------------------------------------------------------------


def _program_page(
    request: Request,
    staff: Staff,
    form: dict[str, Any],
    version: int,
    status: int = 200,
    errors: dict[str, Any] | None = None,
    saved: bool = False,
) -> Response:
    return page(
        request,
        "staff/program.html",
        staff.lang,
        status=status,
        staff=staff,
        section="program",
        form=form,
        version=version,
        errors=errors or {},
        saved=saved,
        currency=staff.ctx.merchant.currency,
    )


@router.get("/settings/program")
def program_settings(
    request: Request, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    merchants.require_role(staff.ctx, "manager")
    version, program, _at = db.run(lambda s: loyalty.current_program(s, staff.ctx), write=False)
    form = program_form.to_form(program, staff.ctx.merchant.currency)
    saved = request.query_params.get("saved") == "1"
    return _program_page(request, staff, form, version, saved=saved)


@router.post("/settings/program", dependencies=[Depends(check_csrf)])
async def save_program(
    request: Request, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    merchants.require_role(staff.ctx, "manager")
    data = dict(await request.form())
    form = program_form.read_form(data)
    try:
        program = program_form.to_program(form, staff.ctx.merchant.currency)
    except program_form.FormErrors as exc:
        version = db.run(lambda s: loyalty.current_program(s, staff.ctx)[0], write=False)
        shown = form | {"rows": program_form.with_blank_rows(form["rows"])}
        return _program_page(request, staff, shown, version, 422, exc.errors)
    db.run(lambda s: loyalty.save_program(s, staff.ctx, program))
    return _redirect("/settings/program?saved=1")


# --- rewards ---------------------------------------------------------------------------------


def _rewards_page(
    request: Request,
    staff: Staff,
    db: Database,
    status: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    rewards = db.run(lambda s: list(loyalty_rewards.list_rewards(s, staff.ctx)), write=False)
    return page(
        request,
        "staff/rewards.html",
        staff.lang,
        status=status,
        staff=staff,
        section="rewards",
        rewards=rewards,
        form=form or {"kind": "amount_off", "valid_days": "30"},
        form_names={k[5:]: v for k, v in (form or {}).items() if k.startswith("name_")},
        errors=errors or {},
        currency=staff.ctx.merchant.currency,
        manager=staff.ctx.actor.at_least("manager"),
    )


@router.get("/rewards")
def rewards(
    request: Request, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    return _rewards_page(request, staff, db)


@router.post("/rewards", dependencies=[Depends(check_csrf)])
def create_reward(
    request: Request,
    name: str = Form("", max_length=200),
    kind: str = Form("amount_off", max_length=16),
    cost_points: str = Form("", max_length=20),
    amount: str = Form("", max_length=24),
    percent: str = Form("", max_length=8),
    sku: str = Form("", max_length=64),
    stock: str = Form("", max_length=20),
    valid_days: str = Form("30", max_length=8),
    names: dict[str, str] = Depends(names_form),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    merchants.require_role(staff.ctx, "manager")
    form = {"name": name, "kind": kind, "cost_points": cost_points, "amount": amount,
            "percent": percent, "sku": sku, "stock": stock, "valid_days": valid_days}  # fmt: skip
    form = {k: v.strip() for k, v in form.items()}
    form |= {f"name_{lang}": text for lang, text in names.items()}
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {"name": form["name"], "kind": form["kind"], "names": names}
    fields["sku"] = form["sku"] or None
    for key in ("cost_points", "percent", "stock", "valid_days"):
        if form[key]:
            try:
                fields[key] = int(form[key])
            except ValueError:
                errors[key] = REWARD_ERRORS[key]
    if form["amount"]:
        try:
            fields["amount"] = to_minor(form["amount"], staff.ctx.merchant.currency)
        except ValueError:
            errors["amount"] = REWARD_ERRORS["amount"]
    try:
        data = RewardCreate(**fields)
    except ValidationError as exc:
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else str(err["msg"]).split(":")[0].split()[-1]
            errors.setdefault(key if key in REWARD_ERRORS else "name", REWARD_ERRORS.get(key, ""))
    if errors:
        return _rewards_page(request, staff, db, 422, form, errors)
    db.run(lambda s: loyalty_rewards.create_reward(s, staff.ctx, data))
    return _redirect("/rewards")


@router.post("/rewards/{reward_id}/names", dependencies=[Depends(check_csrf)])
def set_reward_names(
    reward_id: uuid.UUID,
    names: dict[str, str] = Depends(names_form),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    update = RewardUpdate.model_validate({"names": names})
    db.run(lambda s: loyalty_rewards.update_reward(s, staff.ctx, reward_id, update))
    return _redirect("/rewards")


@router.post("/rewards/{reward_id}/active", dependencies=[Depends(check_csrf)])
def set_reward_active(
    reward_id: uuid.UUID,
    active: bool = Form(...),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    db.run(
        lambda s: loyalty_rewards.update_reward(
            s, staff.ctx, reward_id, RewardUpdate(active=active)
        )
    )
    return _redirect("/rewards")


# --- adjustments -----------------------------------------------------------------------------


@router.post("/customers/{customer_id}/adjustments", dependencies=[Depends(check_csrf)])
def adjust_points(
    request: Request,
    customer_id: uuid.UUID,
    points: str = Form("", max_length=12),
    reason: str = Form("", max_length=200),
    message: str = Form("", max_length=200),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    merchants.require_role(staff.ctx, "manager")
    shown = {"points": points, "reason": reason, "message": message}
    errors: dict[str, str] = {}
    try:
        amount = int(points.strip().replace(",", ""))
    except ValueError:
        amount = 0
    try:
        data = AdjustmentCreate(
            points=amount, reason=reason.strip(), message=message.strip() or None
        )
    except ValidationError as exc:
        for err in exc.errors():
            loc = str(err["loc"][0]) if err["loc"] else "points"
            errors.setdefault(loc if loc in ADJUST_ERRORS else "points", "")
        errors = {k: ADJUST_ERRORS[k] for k in errors}
        return customer_page_response(
            request, staff, db, customer_id, 422, adjust_form=shown, adjust_errors=errors
        )
    try:
        db.run(lambda s: loyalty.adjust(s, staff.ctx, customer_id, data))
    except (ledger.InsufficientPoints, InvalidField):
        errors = {"points": N_("The balance cannot go below zero.")}
        return customer_page_response(
            request, staff, db, customer_id, 409, adjust_form=shown, adjust_errors=errors
        )
    return _redirect(f"/customers/{customer_id}#loyalty")

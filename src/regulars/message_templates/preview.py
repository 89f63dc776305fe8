"""A template shown as one real customer would get it: their name, member code and language,
their balance, tier, last visit and favourite item where the kind uses them; the sample values
for what only the event can tell (a code not drawn yet, a sale not made)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from regulars.checkout import history
from regulars.customers import service as customers
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.loyalty import service as loyalty
from regulars.message_templates import render as r
from regulars.message_templates.samples import VARIABLES
from regulars.message_templates.service import check_kind, render_for


def real_values(session: Session, ctx: Ctx, kind: str, customer_id: uuid.UUID) -> dict[str, Any]:
    values = dict(VARIABLES[kind])
    account = loyalty.account_of(session, ctx, customer_id)
    balance = account.balance if account is not None else 0
    if "balance" in values:
        values["balance"] = balance
    if kind == "welcome":
        values["points"] = balance
    if kind == "tier_up" and account is not None and account.tier_code:
        program = loyalty.current_program(session, ctx)[1]
        names = {t.code: t.name for t in program.tiers.levels}
        values["tier"] = names.get(account.tier_code, account.tier_code)
    if kind in ("winback", "restock"):
        seen = history.insights(session, ctx, customer_id)
        last = seen["last_visit_at"]
        if kind == "winback" and last is not None:
            values["last_visit"] = last.isoformat()
            values["days"] = (clock.now() - last).days
        if kind == "restock" and seen["favourite_items"]:
            top = seen["favourite_items"][0]
            values["item"], values["sku"] = top["name"], top["sku"]
    return values


def preview(
    session: Session, ctx: Ctx, kind: str, customer_id: uuid.UUID, locale: str | None = None
) -> tuple[str, r.Rendered]:
    """(language, subject and body) the customer would get now; `locale` overrides theirs."""
    check_kind(kind, locale or "en")
    customer = customers.get_customer(session, ctx, customer_id, details=False)
    payload = real_values(session, ctx, kind, customer.id)
    return render_for(session, ctx.merchant, kind, customer, payload, locale)

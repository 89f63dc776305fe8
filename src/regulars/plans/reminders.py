"""Reminders of a plan's installments through the messaging outbox: `plan_reminder` before a due
date, `plan_overdue` after it; transactional (they concern money owed, like a receipt), one per
installment and kind (the dedupe key), written in the customer's language. The text is written
when enqueued and the same renderer is registered for the outbox, which uses it for a message
whose body is empty."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.kit.context import Ctx
from regulars.messaging import outbox
from regulars.messaging.models import OutboxMessage
from regulars.plans.models import Installment, PaymentPlan
from regulars.web.i18n import N_, choose, day, money, translations

TEXTS = {
    "plan_reminder": N_(
        "%(shop)s: your installment of %(amount)s for %(plan)s is due on %(date)s."
    ),
    "plan_overdue": N_(
        "%(shop)s: your installment of %(amount)s for %(plan)s was due on %(date)s and is"
        " not paid yet. Please pay at the shop."
    ),
}


def render_text(kind: str, payload: dict[str, Any], lang: str | None) -> str:
    lang = choose(lang)
    left = int(payload["amount"]) - int(payload["paid"])
    return translations(lang).gettext(TEXTS[kind]) % {
        "shop": payload["shop"],
        "amount": money(left, str(payload["currency"]), lang),
        "plan": payload["plan"],
        "date": day(date.fromisoformat(str(payload["due_on"])), lang),
    }


def dedupe_key(kind: str, plan: PaymentPlan, row: Installment) -> str:
    return f"{kind}:{plan.id}:{row.seq}"


def enqueue(session: Session, ctx: Ctx, plan: PaymentPlan, row: Installment, kind: str) -> None:
    customer = customers.get_customer(session, ctx, plan.customer_id, details=False)
    lang = choose(customer.locale, ctx.merchant.locale)
    payload = {
        "shop": ctx.merchant.name, "plan": plan.name, "plan_id": str(plan.id), "seq": row.seq,
        "amount": row.amount, "paid": row.paid, "currency": ctx.merchant.currency,
        "due_on": row.due_on.isoformat(),
    }  # fmt: skip
    outbox.enqueue(
        session,
        merchant_id=ctx.merchant_id,
        kind=kind,
        category="transactional",
        customer_id=customer.id,
        locale=lang,
        body=render_text(kind, payload, lang),
        payload=payload,
        dedupe_key=dedupe_key(kind, plan, row),
    )


def _renderer(_session: Session, message: OutboxMessage, to: outbox.Recipient) -> outbox.Rendered:
    text = render_text(message.kind, dict(message.payload), message.locale or to.locale)
    return outbox.Rendered(None, text, None)


for _kind in TEXTS:
    outbox.register_renderer(_kind, _renderer)

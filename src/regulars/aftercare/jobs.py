"""After-sales daily jobs: a reminder when a service falls due within 7 days and another once it
is overdue (each once per due date: the outbox's dedupe key), and each year's free inspections
for members whose tier gives them."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.aftercare import service
from regulars.aftercare.models import ServiceSchedule
from regulars.customers import service as customers
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.money import format_number
from regulars.loyalty import inspections
from regulars.messaging import outbox
from regulars.web import i18n
from regulars.web.i18n import N_

REMIND_DAYS = 7
DUE_SOON = N_("%(shop)s: %(service)s for %(item)s is due on %(date)s. Reply to book a time.")
OVERDUE = N_("%(shop)s: %(service)s for %(item)s was due on %(date)s. Come in soon; reply to book.")
DUE_KM = N_("%(shop)s: %(service)s for %(item)s is due: it has run %(km)s km since the last one.")
FREE_INSPECTION = N_("Free inspection")


def reminders_due(session: Session, ctx: Ctx) -> list[uuid.UUID]:
    return [s.id for s in service.due(session, ctx, within_days=REMIND_DAYS)]


def remind_one(session: Session, ctx: Ctx, schedule_id: uuid.UUID) -> int:
    schedule = service.get(session, ctx, schedule_id)
    today = clock.today(ctx.merchant.timezone)
    state = service.state(schedule, today)
    if state == "later" or not schedule.active:
        return 0
    customer = customers.get_customer(session, ctx, schedule.customer_id, details=False)
    lang = i18n.choose(customer.locale, ctx.merchant.locale)
    _ = i18n.gettext_for(lang).gettext
    values = {"shop": ctx.merchant.name, "service": schedule.service, "item": schedule.item}
    by_km = schedule.next_due_on is None or schedule.next_due_on >= today
    if state == "overdue" and by_km and schedule.every_km:
        text = _(DUE_KM) % (values | {"km": format_number(schedule.every_km, lang)})
        key = f"service:{schedule.id}:km:{schedule.next_due_km}"
    else:
        template = OVERDUE if state == "overdue" else DUE_SOON
        text = _(template) % (values | {"date": i18n.day(schedule.next_due_on, lang)})
        key = f"service:{schedule.id}:{schedule.next_due_on}:{state}"
    made = outbox.enqueue(
        session,
        merchant_id=ctx.merchant_id,
        kind="service_overdue" if state == "overdue" else "service_due",
        category="transactional",
        customer_id=customer.id,
        locale=lang,
        subject=text.split(": ", 1)[-1][:120],
        body=text,
        payload={"schedule_id": str(schedule.id), "state": state},
        dedupe_key=key,
    )
    return int(made is not None)


def perks_due(session: Session, ctx: Ctx) -> list[uuid.UUID]:
    """Customers with an active schedule: those a free inspection is for."""
    rows = session.scalars(
        select(ServiceSchedule.customer_id)
        .where(ServiceSchedule.merchant_id == ctx.merchant_id, ServiceSchedule.active.is_(True))
        .distinct()
    )
    return list(rows)


def perks_one(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> int:
    lang = i18n.choose(ctx.merchant.locale)
    return inspections.grant(
        session, ctx, customer_id, i18n.gettext_for(lang).gettext(FREE_INSPECTION)
    )

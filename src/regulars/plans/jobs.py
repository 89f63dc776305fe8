"""The daily `plans.overdue` job (docs/plans.md, "Overdue" and "Reminders").

In the shop's time zone, an unpaid installment whose due date is before today becomes `overdue`,
and its plan with it. Reminders go to the outbox in the same transaction: one `plan_reminder`
when an installment falls due within REMIND_BEFORE days, one `plan_overdue` once it is overdue;
each has a dedupe key per installment and kind, so a job run twice enqueues each reminder once.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.plans import reminders
from regulars.plans.models import Installment, PaymentPlan

REMIND_BEFORE = 3  # days before a due date


def _today(ctx: Ctx) -> date:
    return clock.today(ctx.merchant.timezone)


def due(session: Session, ctx: Ctx) -> list[uuid.UUID]:
    """Plans with an unpaid installment due by today + REMIND_BEFORE: one indexed read."""
    q = (
        select(Installment.plan_id)
        .where(
            Installment.merchant_id == ctx.merchant_id,
            Installment.status.in_(("open", "overdue")),
            Installment.due_on <= _today(ctx) + timedelta(days=REMIND_BEFORE),
        )
        .distinct()
        .order_by(Installment.plan_id)
    )
    return list(session.scalars(q))


def one(session: Session, ctx: Ctx, plan_id: uuid.UUID) -> int:
    """Marks one plan's late installments overdue and enqueues its reminders; returns how many
    installments turned overdue now. Safe to run twice."""
    today = _today(ctx)
    of_plan = (Installment.merchant_id == ctx.merchant_id, Installment.plan_id == plan_id)
    turned = session.execute(
        update(Installment)
        .where(*of_plan, Installment.status == "open", Installment.due_on < today)
        .values(status="overdue")
        .returning(Installment.seq)
    ).all()
    if turned:
        session.execute(
            update(PaymentPlan)
            .where(
                PaymentPlan.merchant_id == ctx.merchant_id,
                PaymentPlan.id == plan_id,
                PaymentPlan.status == "open",
            )
            .values(status="overdue")
        )
    plan = session.get(PaymentPlan, (ctx.merchant_id, plan_id), populate_existing=True)
    if plan is None:
        return 0
    q = select(Installment).where(
        *of_plan,
        Installment.status.in_(("open", "overdue")),
        Installment.due_on <= today + timedelta(days=REMIND_BEFORE),
    )
    for row in session.scalars(q.order_by(Installment.seq)):
        kind = "plan_overdue" if row.status == "overdue" else "plan_reminder"
        reminders.enqueue(session, ctx, plan, row, kind)
    session.flush()
    return len(turned)

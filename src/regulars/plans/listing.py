"""Plans as the staff pages list them: overdue first, then open by next due date, then the
completed ones, each with its customer and its next unpaid installment."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from regulars.customers.models import Customer
from regulars.kit.context import Ctx
from regulars.plans.models import Installment, PaymentPlan

LIMIT = 200


@dataclass(frozen=True)
class Row:
    plan: PaymentPlan
    customer_name: str | None
    member_code: str
    next_due: date | None


def staff_list(session: Session, ctx: Ctx, limit: int = LIMIT) -> list[Row]:
    next_due = (
        select(func.min(Installment.due_on))
        .where(
            Installment.merchant_id == PaymentPlan.merchant_id,
            Installment.plan_id == PaymentPlan.id,
            Installment.status != "paid",
        )
        .correlate(PaymentPlan)
        .scalar_subquery()
    )
    rank = case((PaymentPlan.status == "overdue", 0), (PaymentPlan.status == "open", 1), else_=2)
    q = (
        select(PaymentPlan, Customer.name, Customer.member_code, next_due)
        .join(
            Customer,
            (Customer.merchant_id == PaymentPlan.merchant_id)
            & (Customer.id == PaymentPlan.customer_id),
        )
        .where(PaymentPlan.merchant_id == ctx.merchant_id)
        .order_by(rank, next_due, PaymentPlan.created_at.desc(), PaymentPlan.id)
        .limit(limit)
    )
    return [Row(p, name, str(code), due) for p, name, code, due in session.execute(q)]


def counts(session: Session, ctx: Ctx) -> dict[str, int]:
    q = (
        select(PaymentPlan.status, func.count())
        .where(PaymentPlan.merchant_id == ctx.merchant_id)
        .group_by(PaymentPlan.status)
    )
    return {str(s): int(n) for s, n in session.execute(q)}


def customer_ids(rows: list[Row]) -> set[uuid.UUID]:
    return {r.plan.customer_id for r in rows}

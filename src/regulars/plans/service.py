"""Payment plans: taking one on an offer, reading them, and paying into them (docs/plans.md).

A payment claims its `payment_id` first (a unique key: a second transaction with the same id
waits on PostgreSQL's index, or on SQLite's write lock, and then replays the first answer), then
adds its amount to the plan with one guarded UPDATE `paid = paid + amount WHERE paid + amount <=
total`. That UPDATE takes the plan's row lock on PostgreSQL and re-checks the condition against
the newest row, so two payments that together overpay cannot both pass: the second is refused
(422 on `amount`) and its transaction, payment row included, rolls back. Installments are then
filled oldest first from the plan's new `paid`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.kit import clock
from regulars.kit.context import SYSTEM, Ctx
from regulars.kit.errors import InvalidField, NotFound
from regulars.loyalty import service as loyalty
from regulars.loyalty.schemas import AdjustmentCreate
from regulars.merchants import service as merchants
from regulars.plans import offers, schedule
from regulars.plans.errors import PaymentIdReused
from regulars.plans.models import Installment, PaymentPlan, PlanPayment
from regulars.plans.schemas import PaymentCreate, PlanCreate

ON_TIME_REASON = "payment plan installment paid on time"


def _installments(
    session: Session, ctx: Ctx, plan_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Installment]]:
    out: dict[uuid.UUID, list[Installment]] = {i: [] for i in plan_ids}
    if not plan_ids:
        return out
    q = (
        select(Installment)
        .where(Installment.merchant_id == ctx.merchant_id, Installment.plan_id.in_(plan_ids))
        .order_by(Installment.plan_id, Installment.seq)
        .execution_options(populate_existing=True)
    )
    for row in session.scalars(q):
        out[row.plan_id].append(row)
    return out


def plan_out(ctx: Ctx, plan: PaymentPlan, rows: list[Installment]) -> dict[str, Any]:
    fields = (
        "id", "customer_id", "offer_id", "name", "principal", "fee", "total", "paid", "status",
        "interval_months", "first_due", "created_at", "completed_at",
    )  # fmt: skip
    out: dict[str, Any] = {f: getattr(plan, f) for f in fields}
    out |= {"currency": ctx.merchant.currency, "remaining": plan.total - plan.paid}
    out["schedule"] = [
        {
            "seq": r.seq,
            "due_on": r.due_on,
            "amount": r.amount,
            "paid": r.paid,
            "status": r.status,
            "down_payment": r.down_payment,
            "paid_on": r.paid_on,
        }
        for r in rows
    ]
    return out


def _visible(ctx: Ctx, customer_id: uuid.UUID) -> bool:
    return ctx.actor.kind != "customer" or ctx.actor.id == customer_id


def get_plan_row(session: Session, ctx: Ctx, plan_id: uuid.UUID) -> PaymentPlan:
    plan = session.get(PaymentPlan, (ctx.merchant_id, plan_id), populate_existing=True)
    if plan is None or not _visible(ctx, plan.customer_id):
        raise NotFound("payment plan not found")
    return plan


def get_plan(session: Session, ctx: Ctx, plan_id: uuid.UUID) -> dict[str, Any]:
    plan = get_plan_row(session, ctx, plan_id)
    return plan_out(ctx, plan, _installments(session, ctx, [plan.id])[plan.id])


def customer_plans(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    customer = customers.get_customer(session, ctx, customer_id, details=False)
    if not _visible(ctx, customer.id):
        raise NotFound("customer not found")
    q = (
        select(PaymentPlan)
        .where(PaymentPlan.merchant_id == ctx.merchant_id, PaymentPlan.customer_id == customer.id)
        .order_by(PaymentPlan.created_at.desc(), PaymentPlan.id.desc())
    )
    plans = session.scalars(q).all()
    rows = _installments(session, ctx, [p.id for p in plans])
    return [plan_out(ctx, p, rows[p.id]) for p in plans]


def create_plan(session: Session, ctx: Ctx, data: PlanCreate) -> dict[str, Any]:
    """The customer's row is locked first, so two plans taken at once count each other against
    the offer's `max_open_plans`."""
    try:
        customer = customers.lock_pair(session, ctx, data.customer_id, data.customer_id)[0]
    except NotFound:
        raise NotFound(
            "customer not found", [{"field": "customer_id", "message": "not found"}]
        ) from None
    offer = offers.get_offer_row(session, ctx, data.offer_id)
    if not offer.min_price <= data.principal <= offer.max_price:
        raise InvalidField("principal", f"this plan is for {offer.min_price} to {offer.max_price}")
    today = clock.today(ctx.merchant.timezone)
    if data.first_due < today:
        raise InvalidField("first_due", f"must not be before today ({today.isoformat()})")
    slots = schedule.build(
        data.principal, offer.fee, offer.installments, offer.interval_months,
        offer.down_payment_percent, data.first_due,
    )  # fmt: skip
    if any(s.amount <= 0 for s in slots):
        raise InvalidField(
            "principal", f"too small to split into {offer.installments} installments"
        )
    offers.require_eligible(session, ctx, offer, customer)
    plan = PaymentPlan(
        merchant_id=ctx.merchant_id, customer_id=customer.id, offer_id=offer.id, name=offer.name,
        principal=data.principal, fee=offer.fee, total=data.principal + offer.fee, paid=0,
        interval_months=offer.interval_months, first_due=data.first_due, status="open",
    )  # fmt: skip
    session.add(plan)
    session.flush()
    rows = [
        Installment(
            merchant_id=ctx.merchant_id,
            plan_id=plan.id,
            seq=s.seq,
            down_payment=s.down_payment,
            due_on=s.due_on,
            amount=s.amount,
            paid=0,
            status="open",
            points_awarded=False,
        )
        for s in slots
    ]
    session.add_all(rows)
    session.flush()
    merchants.record_audit(session, ctx, "payment_plan.created", "payment_plan", plan.id,
                           {"total": plan.total})  # fmt: skip
    return plan_out(ctx, plan, rows)


# --- payments ----------------------------------------------------------------------------------


def _prior(session: Session, ctx: Ctx, payment_id: str) -> PlanPayment | None:
    q = select(PlanPayment).where(
        PlanPayment.merchant_id == ctx.merchant_id, PlanPayment.payment_id == payment_id
    )
    return session.scalar(q.execution_options(populate_existing=True))


def _replay(prior: PlanPayment, plan_id: uuid.UUID, data: PaymentCreate) -> dict[str, Any]:
    if prior.plan_id != plan_id or prior.amount != data.amount:
        raise PaymentIdReused(
            f"payment_id {data.payment_id} was a payment of {prior.amount} on another plan"
            if prior.plan_id != plan_id
            else f"payment_id {data.payment_id} was a payment of {prior.amount}",
            [{"field": "payment_id", "message": "already used for another payment"}],
        )
    return dict(prior.answer)


def plan_status(plan: PaymentPlan, rows: list[Installment]) -> str:
    if plan.paid >= plan.total:
        return "completed"
    return "overdue" if any(r.status == "overdue" for r in rows) else "open"


def _fill(
    ctx: Ctx, plan: PaymentPlan, rows: list[Installment], today: date
) -> tuple[list[dict[str, int]], list[Installment]]:
    """Installments filled oldest first from the plan's `paid`; what changed, and which became
    paid on time by this payment."""
    applied, on_time = [], []
    for row, covered in zip(
        rows, schedule.allocate([r.amount for r in rows], plan.paid), strict=True
    ):
        if covered == row.paid:
            continue
        applied.append({"seq": row.seq, "amount": covered - row.paid})
        row.paid = covered
        if covered == row.amount:
            row.status, row.paid_on = "paid", today
            if today <= row.due_on:
                on_time.append(row)
    return applied, on_time


def _award(session: Session, ctx: Ctx, plan: PaymentPlan, rows: list[Installment]) -> int:
    """The program's points for each installment paid in full by its due date, once each (the
    flag is set by a conditional UPDATE), posted through loyalty's adjustment as the program."""
    points = loyalty.current_program(session, ctx)[1].plan_on_time_points
    if points <= 0:
        return 0
    total = 0
    for row in rows:
        took = session.execute(
            update(Installment)
            .where(
                Installment.merchant_id == ctx.merchant_id,
                Installment.plan_id == plan.id,
                Installment.seq == row.seq,
                Installment.points_awarded.is_(False),
            )
            .values(points_awarded=True)
            .returning(Installment.seq)
        ).scalar_one_or_none()
        if took is None:
            continue
        note = AdjustmentCreate(points=points, reason=ON_TIME_REASON, message=None)
        loyalty.adjust(session, Ctx(ctx.merchant, SYSTEM), plan.customer_id, note)
        total += points
    return total


def pay(
    session: Session, ctx: Ctx, plan_id: uuid.UUID, data: PaymentCreate
) -> tuple[dict[str, Any], bool]:
    """Partial, exact or early payment; (answer, replayed)."""
    plan = get_plan_row(session, ctx, plan_id)
    prior = _prior(session, ctx, data.payment_id)
    if prior is not None:
        return _replay(prior, plan.id, data), True
    row = PlanPayment(
        merchant_id=ctx.merchant_id, plan_id=plan.id, payment_id=data.payment_id,
        amount=data.amount, answer={}, actor_type=ctx.actor.kind, actor_id=ctx.actor.id,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        prior = _prior(session, ctx, data.payment_id)
        if prior is None:
            raise
        return _replay(prior, plan.id, data), True
    _P = PaymentPlan
    paid = session.execute(
        update(_P)
        .where(
            _P.merchant_id == ctx.merchant_id, _P.id == plan.id, _P.paid + data.amount <= _P.total
        )
        .values(paid=_P.paid + data.amount)
        .returning(_P.paid)
    ).scalar_one_or_none()
    if paid is None:  # raising rolls the payment row back with the transaction
        left = get_plan_row(session, ctx, plan.id).remaining
        raise InvalidField("amount", f"more than the {left} left to pay on this plan")
    plan = get_plan_row(session, ctx, plan.id)
    rows = _installments(session, ctx, [plan.id])[plan.id]
    applied, on_time = _fill(ctx, plan, rows, clock.today(ctx.merchant.timezone))
    plan.status = plan_status(plan, rows)
    if plan.status == "completed":
        plan.completed_at = clock.now()
    session.flush()
    awarded = _award(session, ctx, plan, on_time)
    answer = {
        "payment_id": data.payment_id, "plan_id": plan.id, "amount": data.amount,
        "applied": applied, "points_awarded": awarded, "remaining": plan.remaining,
        "plan": plan_out(ctx, plan, rows),
    }  # fmt: skip
    row.answer = _jsonable(answer)
    session.flush()
    merchants.record_audit(session, ctx, "payment_plan.paid", "payment_plan", plan.id,
                           {"amount": data.amount})  # fmt: skip
    return row.answer, False


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, uuid.UUID | date):
        return value.isoformat() if isinstance(value, date) else str(value)
    return value

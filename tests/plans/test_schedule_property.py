"""Acceptance: for any price, count and interval the schedule sums to the amount owed exactly and
no installment is negative; any sequence of payments never leaves a balance below zero nor loses
a payment (on SQLite and PostgreSQL); a replayed `payment_id` changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from regulars.db import Database
from regulars.kit import clock
from regulars.kit.errors import InvalidField
from regulars.plans import offers, schedule, service
from regulars.plans.models import Installment, PaymentPlan, PlanPayment
from regulars.plans.schemas import OfferCreate, PaymentCreate, PlanCreate
from tests.factories import make_customer, make_merchant

JAN = datetime(2026, 1, 20, 4, 0, tzinfo=UTC)


@given(
    principal=st.integers(1, 10**12),
    fee=st.integers(0, 10**9),
    count=st.integers(1, 120),
    interval=st.integers(1, 12),
    percent=st.integers(0, 99),
    first_due=st.dates(date(2000, 1, 1), date(2100, 12, 31)),
)
@settings(max_examples=500, deadline=None)
def test_any_schedule_sums_exactly_and_has_no_negative_installment(
    principal: int, fee: int, count: int, interval: int, percent: int, first_due: date
) -> None:
    slots = schedule.build(principal, fee, count, interval, percent, first_due)
    assert sum(s.amount for s in slots) == principal + fee
    assert all(s.amount >= 0 for s in slots)
    rest = [s.amount for s in slots if not s.down_payment]
    assert len(rest) == count and max(rest) - min(rest) <= 1 and rest == sorted(rest, reverse=True)
    assert [s.seq for s in slots] == list(range(len(slots)))
    dues = [s.due_on for s in slots]
    assert dues == sorted(dues) and dues[0] == first_due
    for s in slots:  # month-end clamping: the day is the first due's, or the month's last
        assert s.due_on.day == first_due.day or s.due_on.day < first_due.day


# A payment: (which id, 0..5, so ids repeat and replay; amount)
payments = st.lists(st.tuples(st.integers(0, 5), st.integers(1, 400_000)), max_size=12)


@given(
    principal=st.integers(10_000, 1_000_000),
    count=st.integers(1, 6),
    percent=st.integers(0, 60),
    steps=payments,
)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_sequence_of_payments_keeps_the_balance_and_every_payment(
    db: Database, principal: int, count: int, percent: int, steps: list[tuple[int, int]]
) -> None:
    shop = make_merchant(db, name=f"Shop {uuid.uuid4().hex[:8]}")
    member = make_customer(db, shop)
    terms = OfferCreate(
        name="Plan", installments=count, interval_months=1, down_payment_percent=percent,
        fee=999, min_price=1, max_price=10**9,
    )  # fmt: skip
    offer = db.run(lambda s: offers.create_offer(s, shop.ctx, terms))
    body = PlanCreate(
        customer_id=member.id, offer_id=offer["id"], principal=principal, first_due=date(2026, 2, 1)
    )
    with clock.frozen(JAN):
        plan = db.run(lambda s: service.create_plan(s, shop.ctx, body))
    total = principal + 999
    kept: dict[str, int] = {}  # payment_id -> amount, as the plan must have recorded
    for which, amount in steps:
        pid = f"P-{which}"
        data = PaymentCreate(payment_id=pid, amount=amount)
        try:
            with clock.frozen(JAN):
                answer, replayed = db.run(lambda s, d=data: service.pay(s, shop.ctx, plan["id"], d))
        except InvalidField as exc:
            assert exc.field == "amount" and pid not in kept
            assert sum(kept.values()) + amount > total
        except Exception as exc:  # the same id with another amount
            assert getattr(exc, "slug", "") == "payment-id-reused"
            assert pid in kept and kept[pid] != amount
        else:
            assert replayed == (pid in kept)
            if pid in kept:
                assert kept[pid] == amount
            kept.setdefault(pid, amount)
            assert answer["remaining"] >= 0
        _check(db, shop.ctx.merchant_id, plan["id"], total, sum(kept.values()), len(kept))


def _check(
    db: Database, merchant_id: uuid.UUID, plan_id: uuid.UUID, total: int, paid: int, n: int
) -> None:
    def read(s):  # type: ignore[no-untyped-def]
        of = (Installment.merchant_id == merchant_id, Installment.plan_id == plan_id)
        plan = s.get(PaymentPlan, (merchant_id, plan_id), populate_existing=True)
        rows = s.scalars(select(Installment).where(*of).order_by(Installment.seq)).all()
        payments = s.scalar(
            select(func.coalesce(func.sum(PlanPayment.amount), 0)).where(
                PlanPayment.merchant_id == merchant_id, PlanPayment.plan_id == plan_id
            )
        )
        count = s.scalar(
            select(func.count()).select_from(PlanPayment).where(PlanPayment.plan_id == plan_id)
        )
        return plan.paid, [(r.amount, r.paid) for r in rows], int(payments), int(count), plan.status

    plan_paid, rows, payments, count, status = db.run(read, write=False)
    assert plan_paid == paid == payments and count == n
    assert total - plan_paid >= 0
    assert sum(p for _a, p in rows) == plan_paid
    assert sum(a for a, _p in rows) == total
    assert all(0 <= p <= a for a, p in rows)
    # oldest first: only one installment may be partly paid, and none after it is paid at all
    partial = [i for i, (a, p) in enumerate(rows) if 0 < p < a]
    assert len(partial) <= 1
    if partial:
        assert all(p == 0 for _a, p in rows[partial[0] + 1 :])
    assert status == ("completed" if plan_paid == total else "open")

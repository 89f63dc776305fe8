"""Two payments at once that together overpay: exactly one is taken, on both engines; many
payments at once that fit are all taken, and the plan adds up."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from regulars.db import Database
from regulars.kit import clock
from regulars.kit.errors import ProblemError
from regulars.plans import offers, service
from regulars.plans.models import Installment, PaymentPlan, PlanPayment
from regulars.plans.schemas import OfferCreate, PaymentCreate, PlanCreate
from tests.checkout.test_concurrency import race
from tests.factories import make_customer, make_merchant

JAN = datetime(2026, 1, 20, 4, 0, tzinfo=UTC)


def _plan(db: Database, principal: int) -> tuple[object, object]:
    shop = make_merchant(db)
    member = make_customer(db, shop)
    terms = OfferCreate(name="Plan", installments=4, interval_months=1, min_price=1,
                        max_price=10**9)  # fmt: skip
    offer = db.run(lambda s: offers.create_offer(s, shop.ctx, terms))
    body = PlanCreate(customer_id=member.id, offer_id=offer["id"], principal=principal,
                      first_due=date(2026, 2, 1))  # fmt: skip
    with clock.frozen(JAN):
        plan = db.run(lambda s: service.create_plan(s, shop.ctx, body))
    return shop, plan["id"]


def _state(db: Database, plan_id: object) -> tuple[int, int, int, int]:
    def read(s):  # type: ignore[no-untyped-def]
        paid = s.scalar(select(PaymentPlan.paid).where(PaymentPlan.id == plan_id))
        rows = s.scalar(select(func.sum(Installment.paid)).where(Installment.plan_id == plan_id))
        kept = s.scalar(
            select(func.coalesce(func.sum(PlanPayment.amount), 0)).where(
                PlanPayment.plan_id == plan_id
            )
        )
        n = s.scalar(
            select(func.count()).select_from(PlanPayment).where(PlanPayment.plan_id == plan_id)
        )
        return int(paid), int(rows), int(kept), int(n)

    return db.run(read, write=False)  # type: ignore[no-any-return]


def test_two_concurrent_payments_that_together_overpay_take_exactly_one(db: Database) -> None:
    for _round in range(5):
        shop, plan_id = _plan(db, 100_000)

        def one(i: int, shop: object = shop, plan_id: object = plan_id) -> object:
            data = PaymentCreate(payment_id=f"P-{plan_id}-{i}", amount=60_000)
            return db.run(lambda s: service.pay(s, shop.ctx, plan_id, data))  # type: ignore[attr-defined, arg-type]

        results = race(2, one)
        outcome = Counter(r.slug if isinstance(r, ProblemError) else "paid" for r in results)
        assert outcome == {"paid": 1, "invalid-field": 1}
        assert _state(db, plan_id) == (60_000, 60_000, 60_000, 1)


def test_twenty_concurrent_payments_that_fit_are_all_kept(db: Database) -> None:
    shop, plan_id = _plan(db, 100_000)

    def one(i: int) -> object:
        data = PaymentCreate(payment_id=f"Q-{i}", amount=5_000)
        return db.run(lambda s: service.pay(s, shop.ctx, plan_id, data))  # type: ignore[attr-defined]

    results = race(20, one)
    assert not [r for r in results if isinstance(r, Exception)]
    assert _state(db, plan_id) == (100_000, 100_000, 100_000, 20)


def test_one_payment_id_sent_ten_times_at_once_pays_once(db: Database) -> None:
    shop, plan_id = _plan(db, 100_000)
    data = PaymentCreate(payment_id="SAME", amount=30_000)

    def one(_i: int) -> object:
        return db.run(lambda s: service.pay(s, shop.ctx, plan_id, data))  # type: ignore[attr-defined]

    results = race(10, one)
    assert not [r for r in results if isinstance(r, Exception)]
    assert all(r[0] == results[0][0] for r in results)  # type: ignore[index]
    assert sorted(r[1] for r in results) == [False] + [True] * 9  # type: ignore[index]
    assert _state(db, plan_id) == (30_000, 30_000, 30_000, 1)

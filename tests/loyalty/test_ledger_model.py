"""Random earn / redeem / refund / expire / adjust / retry sequences against a plain model.

The model keeps points as lots (one per sale, with its expiry date) consumed first-in first-out,
plus a debt that later earnings repay first: a different bookkeeping from the service's (which
derives expiry from the entries with one sum), so agreement between the two means something.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from regulars import daily
from regulars.checkout import refunds as checkout_refunds
from regulars.checkout import service as checkout
from regulars.checkout.schemas import CheckoutIn, RefundIn
from regulars.db import Database
from regulars.kit import clock
from regulars.loyalty import ledger, rewards
from regulars.loyalty import service as loyalty
from regulars.loyalty.program import EarnRule, Program
from regulars.loyalty.schemas import AdjustmentCreate, RewardCreate
from tests.factories import make_customer, make_merchant

START = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
REWARD_COST = 7


class Model:
    def __init__(self) -> None:
        self.lots: list[list[object]] = []  # [expires_at, remaining, sale_key]
        self.debt = 0

    @property
    def balance(self) -> int:
        return sum(int(lot[1]) for lot in self.lots) - self.debt  # type: ignore[call-overload]

    def credit(self, points: int, expires_at: datetime | None, key: str | None) -> None:
        repay = min(points, self.debt)
        self.debt -= repay
        self.lots.append([expires_at, points - repay, key])

    def debit(self, points: int) -> None:
        order = sorted(
            (lot for lot in self.lots if int(lot[1]) > 0),  # type: ignore[call-overload]
            key=lambda lot: (lot[0] is None, lot[0] or START),
        )
        for lot in order:
            take = min(points, int(lot[1]))  # type: ignore[call-overload]
            lot[1] = int(lot[1]) - take  # type: ignore[call-overload]
            points -= take
        self.debt += points

    def reverse(self, points: int, key: str) -> None:
        for lot in self.lots:
            if lot[2] == key:
                take = min(points, int(lot[1]))  # type: ignore[call-overload]
                lot[1] = int(lot[1]) - take  # type: ignore[call-overload]
                points -= take
        if points:
            self.debit(points)

    def expire(self, now: datetime) -> int:
        due = 0
        for lot in self.lots:
            if lot[0] is not None and lot[0] <= now:  # type: ignore[operator]
                due += int(lot[1])  # type: ignore[call-overload]
                lot[1] = 0
        return due


def machine_for(db: Database) -> type[RuleBasedStateMachine]:
    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.stack = contextlib.ExitStack()
            self.now = START
            self.stack.enter_context(clock.frozen(self.now))
            self.shop = make_merchant(db, email=None)
            self.ctx = self.shop.ctx
            program = Program(earn=EarnRule(points=1, per_amount=1000), expiry_months=1)
            db.run(lambda s: loyalty.save_program(s, self.ctx, program))
            self.customer = make_customer(db, self.shop, phone=None, name="Model")
            self.reward = db.run(
                lambda s: rewards.create_reward(
                    s,
                    self.ctx,
                    RewardCreate(
                        name="Cake", kind="amount_off", cost_points=REWARD_COST, amount=1000
                    ),
                )
            )
            self.model = Model()
            self.sales: list[tuple[CheckoutIn, dict[str, object]]] = []
            self.refunded: set[str] = set()

        def teardown(self) -> None:
            self.stack.close()

        @rule(amount=st.integers(min_value=1, max_value=60).map(lambda k: k * 500))
        def earn(self, amount: int) -> None:
            body = CheckoutIn.model_validate(
                {
                    "receipt_id": f"R-{len(self.sales)}",
                    "customer": {"id": str(self.customer.id)},
                    "lines": [{"sku": "X", "quantity": 1, "unit_price": amount}],
                }
            )
            result, replayed = db.run(lambda s: checkout.commit(s, self.ctx, body))
            assert not replayed
            points = amount // 1000
            assert result["points_earned"] == points
            if points:
                self.model.credit(points, clock.add_months(self.now, 1), str(result["purchase_id"]))
            self.sales.append((body, result))

        @precondition(lambda self: bool(self.sales))
        @rule(data=st.data())
        def retry(self, data: st.DataObject) -> None:
            body, first = data.draw(st.sampled_from(self.sales))
            again, replayed = db.run(lambda s: checkout.commit(s, self.ctx, body))
            assert replayed and again == first

        @precondition(lambda self: len(self.refunded) < len(self.sales))
        @rule(data=st.data())
        def refund(self, data: st.DataObject) -> None:
            open_sales = [r for _b, r in self.sales if r["purchase_id"] not in self.refunded]
            sale = data.draw(st.sampled_from(open_sales))
            pid = str(sale["purchase_id"])
            result, _ = db.run(
                lambda s: checkout_refunds.refund(
                    s, self.ctx, uuid.UUID(pid), RefundIn(refund_id="all")
                )
            )
            assert result["points_reversed"] == sale["points_earned"]
            self.refunded.add(pid)
            if result["points_reversed"]:
                self.model.reverse(int(result["points_reversed"]), pid)

        @rule()
        def redeem(self) -> None:
            can = self.model.balance >= REWARD_COST
            try:
                _voucher, balance = db.run(
                    lambda s: rewards.redeem(s, self.ctx, self.customer.id, self.reward.id)
                )
            except ledger.InsufficientPoints:
                assert not can
                return
            assert can and balance >= 0
            self.model.debit(REWARD_COST)

        @rule(points=st.integers(min_value=-20, max_value=20).filter(bool))
        def adjust(self, points: int) -> None:
            data = AdjustmentCreate(points=points, reason="stock-take correction")
            try:
                posted = db.run(lambda s: loyalty.adjust(s, self.ctx, self.customer.id, data))
            except ledger.InsufficientPoints:
                assert points < 0 and self.model.balance < -points
                return
            assert points > 0 or posted.balance >= 0
            if points > 0:
                self.model.credit(points, None, None)
            else:
                self.model.debit(-points)

        @rule(days=st.integers(min_value=1, max_value=40))
        def advance_and_expire(self, days: int) -> None:
            self.now += timedelta(days=days)
            self.stack.enter_context(clock.frozen(self.now))
            daily.run_job(db, self.ctx, "points.expire")
            expected = self.model.expire(self.now)
            assert expected >= 0

        @invariant()
        def balance_is_the_sum_of_entries_and_matches_the_model(self) -> None:
            def read(s):  # type: ignore[no-untyped-def]
                return (
                    ledger.balance(s, self.ctx, self.customer.id),
                    loyalty.ledger_sum(s, self.ctx, self.customer.id),
                )

            balance, total = db.run(read, write=False)
            assert balance == total
            assert balance == self.model.balance

    return LedgerMachine


def test_ledger_against_model(db: Database) -> None:
    machine = machine_for(db)
    machine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    machine.TestCase().runTest()

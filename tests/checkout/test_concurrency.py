"""Races that must not double anything (RELIABILITY tests 1, 3, 5): many threads, one database.

On PostgreSQL these run under READ COMMITTED with real row locks and unique indexes; on SQLite the
same code is serialised by BEGIN IMMEDIATE. Each thread runs its own transaction through
`Database.run`, exactly as a request would.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select

from regulars.checkout import service as checkout
from regulars.checkout.models import Purchase
from regulars.checkout.schemas import CheckoutIn
from regulars.db import Database
from regulars.kit.errors import ProblemError
from regulars.loyalty import ledger, rewards
from regulars.loyalty import service as loyalty
from regulars.loyalty.models import Voucher
from regulars.loyalty.schemas import AdjustmentCreate, RewardCreate
from tests.factories import make_customer, make_merchant


def race(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` in n threads released together; returns results or the exceptions raised."""
    barrier = threading.Barrier(n)

    def run(i: int) -> Any:
        barrier.wait()
        try:
            return work(i)
        except ProblemError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def body(receipt: str, customer_id: str, **extra: Any) -> CheckoutIn:
    return CheckoutIn.model_validate(
        {
            "receipt_id": receipt,
            "customer": {"id": customer_id},
            "lines": [{"sku": "CAKE", "category": "cakes", "quantity": 1, "unit_price": 10000}],
        }
        | extra
    )


def sums_hold(db: Database, shop: Any, customer_id: Any) -> tuple[int, int]:
    def read(s):  # type: ignore[no-untyped-def]
        return ledger.balance(s, shop.ctx, customer_id), loyalty.ledger_sum(
            s, shop.ctx, customer_id
        )

    balance, total = db.run(read, write=False)
    assert balance == total
    return balance, total


def test_100_concurrent_commits_of_one_receipt_make_one_sale(db: Database) -> None:
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    sale = body("R-RACE", str(cust.id))
    results = race(100, lambda _i: db.run(lambda s: checkout.commit(s, shop.ctx, sale)))
    assert not [r for r in results if isinstance(r, Exception)]
    assert Counter(replayed for _result, replayed in results) == {True: 99, False: 1}
    assert len({result["purchase_id"] for result, _ in results}) == 1
    count = db.run(
        lambda s: s.scalar(
            select(func.count()).select_from(Purchase).where(Purchase.merchant_id == shop.id)
        ),
        write=False,
    )
    assert count == 1
    assert sums_hold(db, shop, cust.id) == (10, 10)


def test_50_concurrent_redemptions_by_a_customer_who_can_afford_3_give_3(db: Database) -> None:
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    db.run(
        lambda s: loyalty.adjust(
            s, shop.ctx, cust.id, AdjustmentCreate(points=100, reason="opening balance")
        )
    )
    reward = db.run(
        lambda s: rewards.create_reward(
            s, shop.ctx, RewardCreate(name="Cake", kind="amount_off", cost_points=30, amount=3000)
        )
    )
    results = race(50, lambda _i: db.run(lambda s: rewards.redeem(s, shop.ctx, cust.id, reward.id)))
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 3 and len(lost) == 47
    assert all(isinstance(r, ledger.InsufficientPoints) for r in lost)
    vouchers = db.run(
        lambda s: s.scalar(
            select(func.count()).select_from(Voucher).where(Voucher.merchant_id == shop.id)
        ),
        write=False,
    )
    assert vouchers == 3
    assert sums_hold(db, shop, cust.id) == (10, 10)


def test_40_concurrent_checkouts_with_one_voucher_apply_it_once(db: Database) -> None:
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    db.run(
        lambda s: loyalty.adjust(
            s, shop.ctx, cust.id, AdjustmentCreate(points=50, reason="opening balance")
        )
    )
    reward = db.run(
        lambda s: rewards.create_reward(
            s,
            shop.ctx,
            RewardCreate(name="2,000 off", kind="amount_off", cost_points=50, amount=2000),
        )
    )
    voucher, _balance = db.run(lambda s: rewards.redeem(s, shop.ctx, cust.id, reward.id))
    results = race(
        40,
        lambda i: db.run(
            lambda s: checkout.commit(
                s, shop.ctx, body(f"R-{i}", str(cust.id), vouchers=[voucher.code])
            )
        ),
    )
    sales = [r for r in results if not isinstance(r, Exception)]
    assert len(sales) == 1
    assert all(r.status == 409 for r in results if isinstance(r, ProblemError))
    ((result, _replayed),) = sales
    assert result["discount_total"] == 2000 and result["points_earned"] == 8
    count = db.run(
        lambda s: s.scalar(
            select(func.count()).select_from(Purchase).where(Purchase.merchant_id == shop.id)
        ),
        write=False,
    )
    assert count == 1
    assert sums_hold(db, shop, cust.id) == (8, 8)


def test_limited_stock_is_never_oversold(db: Database) -> None:
    shop = make_merchant(db)
    customers = [make_customer(db, shop, phone=None, name=f"C{i}") for i in range(6)]
    for c in customers:
        db.run(
            lambda s, c=c: loyalty.adjust(
                s, shop.ctx, c.id, AdjustmentCreate(points=100, reason="opening balance")
            )
        )
    reward = db.run(
        lambda s: rewards.create_reward(
            s,
            shop.ctx,
            RewardCreate(name="Mooncake box", kind="free_item", cost_points=10, sku="BOX", stock=2),
        )
    )
    results = race(
        6, lambda i: db.run(lambda s: rewards.redeem(s, shop.ctx, customers[i].id, reward.id))
    )
    assert len([r for r in results if not isinstance(r, Exception)]) == 2
    assert all(isinstance(r, rewards.OutOfStock) for r in results if isinstance(r, Exception))
    assert db.run(lambda s: rewards.get_reward(s, shop.ctx, reward.id).stock, write=False) == 0
    balances = sorted(sums_hold(db, shop, c.id)[0] for c in customers)
    assert balances == [90, 90, 100, 100, 100, 100]


def test_20_concurrent_redemptions_with_one_request_key_make_one_voucher(db: Database) -> None:
    """A till or portal form resending one redemption (flaky network, double tap): one voucher,
    the points taken once, every request answered with that voucher."""
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    db.run(
        lambda s: loyalty.adjust(
            s, shop.ctx, cust.id, AdjustmentCreate(points=100, reason="opening balance")
        )
    )
    reward = db.run(
        lambda s: rewards.create_reward(
            s, shop.ctx, RewardCreate(name="Cake", kind="amount_off", cost_points=30, amount=3000)
        )
    )

    def again(_i: int) -> Any:
        return db.run(lambda s: rewards.redeem(s, shop.ctx, cust.id, reward.id, "till-7-key"))

    results = race(20, again)
    assert not [r for r in results if isinstance(r, Exception)]
    assert {voucher.code for voucher, _balance in results} == {results[0][0].code}
    assert {balance for _voucher, balance in results} == {70}
    count = select(func.count()).select_from(Voucher).where(Voucher.merchant_id == shop.id)
    assert db.run(lambda s: s.scalar(count), write=False) == 1
    assert sums_hold(db, shop, cust.id) == (70, 70)
    other = db.run(
        lambda s: rewards.create_reward(
            s, shop.ctx, RewardCreate(name="Tea", kind="amount_off", cost_points=10, amount=500)
        )
    )
    reused = race(
        1, lambda _i: db.run(lambda s: rewards.redeem(s, shop.ctx, cust.id, other.id, "till-7-key"))
    )
    assert isinstance(reused[0], ProblemError) and reused[0].status == 409
    assert sums_hold(db, shop, cust.id) == (70, 70)

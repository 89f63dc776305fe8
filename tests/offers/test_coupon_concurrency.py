"""Coupons under races (many threads, one database, each a request's own transaction): a
single-use code is used once, a shared code no more than its campaign's total_limit, a customer
no more than the per-customer limit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from regulars.checkout import service as checkout
from regulars.checkout.models import Purchase
from regulars.checkout.schemas import CheckoutIn
from regulars.db import Database
from regulars.kit.errors import InvalidField
from regulars.offers import service as offers
from regulars.offers.models import CouponCampaign, CouponCode, CouponRedemption
from regulars.offers.schemas import CampaignCreate
from tests.checkout.test_concurrency import race
from tests.factories import Shop, make_customer, make_merchant


def body(receipt: str, code: str, customer_id: Any = None) -> CheckoutIn:
    data: dict[str, Any] = {
        "receipt_id": receipt,
        "lines": [{"sku": "CAKE", "category": "cakes", "quantity": 1, "unit_price": 10000}],
        "coupon_codes": [code],
    }
    if customer_id is not None:
        data["customer"] = {"id": str(customer_id)}
    return CheckoutIn.model_validate(data)


def new_campaign(db: Database, shop: Shop, **fields: Any) -> CouponCampaign:
    data = CampaignCreate.model_validate(
        {"name": "Off", "kind": "amount_off", "value": 1000} | fields
    )
    return db.run(lambda s: offers.create_campaign(s, shop.ctx, data))


def count(db: Database, shop: Shop, model: Any) -> int:
    q = select(func.count()).select_from(model).where(model.merchant_id == shop.id)
    return int(db.run(lambda s: s.scalar(q), write=False))


def outcomes(results: list[Any], reason: str) -> tuple[int, int]:
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, InvalidField) and e.errors[0]["reason_code"] == reason for e in lost)
    assert all(result["discounts"][0]["amount"] == 1000 for result, _ in won)
    return len(won), len(lost)


def test_200_concurrent_checkouts_with_one_single_use_code_apply_it_once(db: Database) -> None:
    shop = make_merchant(db)
    made = new_campaign(db, shop)
    db.run(lambda s: offers.add_codes(s, shop.ctx, made.id, 1))
    code = db.run(lambda s: s.scalar(select(CouponCode.code)), write=False)
    results = race(
        200, lambda i: db.run(lambda s: checkout.commit(s, shop.ctx, body(f"R-{i}", code)))
    )
    assert outcomes(results, "used") == (1, 199)
    assert count(db, shop, Purchase) == 1
    assert count(db, shop, CouponRedemption) == 1


def test_a_shared_code_with_total_limit_50_is_used_50_times_when_120_try(db: Database) -> None:
    shop = make_merchant(db)
    made = new_campaign(db, shop, code="FIFTY", total_limit=50)
    results = race(
        120, lambda i: db.run(lambda s: checkout.commit(s, shop.ctx, body(f"R-{i}", "fifty")))
    )
    assert outcomes(results, "exhausted") == (50, 70)
    assert count(db, shop, Purchase) == 50
    assert count(db, shop, CouponRedemption) == 50
    after = db.run(lambda s: offers.get_campaign(s, shop.ctx, made.id).used, write=False)
    assert after == 50


def test_per_customer_limit_1_with_50_parallel_tries_gives_1(db: Database) -> None:
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    new_campaign(db, shop, code="ONCE", per_customer_limit=1)
    results = race(
        50,
        lambda i: db.run(lambda s: checkout.commit(s, shop.ctx, body(f"R-{i}", "once", cust.id))),
    )
    assert outcomes(results, "customer_limit") == (1, 49)
    assert count(db, shop, Purchase) == 1
    assert count(db, shop, CouponRedemption) == 1

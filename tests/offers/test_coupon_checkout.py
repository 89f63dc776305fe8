"""Coupons in a sale: the discounts each gives, the stacking order, refusals naming
`coupon_codes.<i>` with their reason (nothing written), quotes that use nothing, and a full
refund giving the use back when the campaign says so."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.checkout.models import Purchase
from regulars.checkout.schemas import CheckoutOut
from regulars.db import Database
from regulars.offers.models import CouponCode, CouponCustomerUse, CouponRedemption
from tests.factories import Shop, make_customer, make_merchant
from tests.offers.helpers import API, campaign, codes, sale


def post(client: TestClient, shop: Shop, body: dict[str, Any], quote: bool = False) -> Any:
    return client.post(
        f"{API}/checkout{'/quote' if quote else ''}", json=body, headers=shop.headers
    )


def rows(db: Database, model: Any) -> int:
    return int(db.run(lambda s: s.scalar(select(func.count()).select_from(model)), write=False))


def used(db: Database) -> int:
    q = select(func.count()).select_from(CouponCode).where(CouponCode.used_at.is_not(None))
    return int(db.run(lambda s: s.scalar(q), write=False))


def test_a_code_discounts_the_sale_and_is_listed_in_discounts(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    made = campaign(client, shop, kind="percent_off", value=10)
    code = codes(client, shop, made["id"], 1)[0]
    body = sale("R-1", ("CAKE", "cakes", 2, 10000), ("TEA", "drinks", 1, 5001), coupon_codes=[code])
    quoted = post(client, shop, body, quote=True)
    assert quoted.status_code == 200, quoted.text
    assert used(db) == 0 and rows(db, CouponRedemption) == 0  # a quote uses nothing
    r = post(client, shop, body)
    assert r.status_code == 201, r.text
    out = r.json()
    assert CheckoutOut.model_validate(out).model_dump(mode="json") == out
    assert list(CheckoutOut.model_fields) == list(out)  # built in the model's field order
    assert (out["subtotal"], out["discount_total"], out["total"]) == (25001, 2500, 22501)
    assert out["discounts"] == [{"code": code, "campaign_id": made["id"], "amount": 2500}]
    assert quoted.json()["discounts"] == out["discounts"]
    assert used(db) == 1 and rows(db, CouponRedemption) == 1


def test_stacking_free_item_then_amount_then_percent_and_never_below_zero(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    pct = campaign(client, shop, kind="percent_off", value=50, stackable=True, code="HALF")
    amt = campaign(client, shop, kind="amount_off", value=3000, stackable=True, code="THREE")
    free = campaign(client, shop, kind="free_item", sku="TEA", stackable=True, code="TEA")
    body = sale(
        "R-1",
        ("CAKE", "cakes", 1, 10000),
        ("TEA", "drinks", 2, 2000),
        coupon_codes=["half", "three", "tea"],
    )
    out = post(client, shop, body).json()
    # 14,000: a free tea (2,000) -> 12,000; 3,000 off -> 9,000; half of what is left: 4,500
    assert out["discounts"] == [
        {"code": "HALF", "campaign_id": pct["id"], "amount": 4500},
        {"code": "THREE", "campaign_id": amt["id"], "amount": 3000},
        {"code": "TEA", "campaign_id": free["id"], "amount": 2000},
    ]
    assert (out["discount_total"], out["total"]) == (9500, 4500)
    big = campaign(client, shop, kind="amount_off", value=10**9, code="HUGE")
    out = post(client, shop, sale("R-2", ("CAKE", "cakes", 1, 10000), coupon_codes=["huge"]))
    assert out.json()["total"] == 0
    assert out.json()["discounts"][0] == {"code": "HUGE", "campaign_id": big["id"], "amount": 10000}


def test_a_scoped_coupon_discounts_only_its_lines(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    campaign(client, shop, kind="percent_off", value=20, categories=["drinks"], code="DRINK")
    body = sale(
        "R-1", ("CAKE", "cakes", 1, 10000), ("TEA", "drinks", 1, 5000), coupon_codes=["drink"]
    )
    out = post(client, shop, body).json()
    assert (out["discount_total"], out["total"]) == (1000, 14000)


def _refused(
    client: TestClient, db: Database, shop: Shop, body: dict[str, Any], i: int, reason: str
) -> None:
    before = (rows(db, Purchase), rows(db, CouponRedemption), used(db))
    for quote in (True, False):
        r = post(client, shop, body, quote=quote)
        assert r.status_code == 422, r.text
        error = r.json()["errors"][0]
        assert error["field"] == f"coupon_codes.{i}"
        assert error["reason_code"] == reason
        assert error["message"].startswith(f"{reason}: ")
    assert (rows(db, Purchase), rows(db, CouponRedemption), used(db)) == before


def test_wrong_codes_are_refused_naming_the_field_and_nothing_is_written(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    me = {"id": str(cust.id)}
    solo = campaign(client, shop, kind="amount_off", value=100, code="SOLO")
    campaign(client, shop, kind="amount_off", value=100, code="ALSO", stackable=True)
    campaign(client, shop, kind="amount_off", value=100, code="ONCE", per_customer_limit=1)
    code = codes(client, shop, solo["id"], 2)
    cake = ("CAKE", "cakes", 1, 10000)
    _refused(client, db, shop, sale("R-1", cake, coupon_codes=["nope"]), 0, "unknown")
    _refused(client, db, shop, sale("R-1", cake, coupon_codes=["also", "also"]), 1, "duplicate")
    # one code per campaign in a sale: a second code of the same campaign is a duplicate too
    _refused(client, db, shop, sale("R-1", cake, coupon_codes=code), 1, "duplicate")
    _refused(client, db, shop, sale("R-1", cake, coupon_codes=["also", "solo"]), 1, "not_stackable")
    _refused(client, db, shop, sale("R-1", cake, coupon_codes=["solo", "also"]), 1, "not_stackable")
    assert (
        post(client, shop, sale("R-2", cake, customer=me, coupon_codes=["once"])).status_code == 201
    )
    _refused(
        client, db, shop, sale("R-3", cake, customer=me, coupon_codes=["once"]), 0, "customer_limit"
    )


def test_a_full_refund_gives_the_use_back_when_the_campaign_says_so(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    me = {"id": str(cust.id)}
    back = campaign(client, shop, total_limit=1, per_customer_limit=1)
    kept = campaign(client, shop, name="Kept", release_on_refund=False, stackable=True)
    back["stackable"] = True
    client.patch(
        f"{API}/coupon-campaigns/{back['id']}", json={"stackable": True}, headers=shop.headers
    )
    [one] = codes(client, shop, back["id"], 1)
    [two] = codes(client, shop, kept["id"], 1)
    body = sale("R-1", ("CAKE", "cakes", 2, 10000), customer=me, coupon_codes=[one, two])
    purchase = post(client, shop, body).json()["purchase_id"]
    refund = f"{API}/purchases/{purchase}/refunds"
    part = client.post(
        refund,
        json={"refund_id": "F-1", "lines": [{"sku": "CAKE", "quantity": 1}]},
        headers=shop.headers,
    )
    assert part.status_code == 201
    assert used(db) == 2  # a partial refund keeps the codes used
    full = client.post(refund, json={"refund_id": "F-2"}, headers=shop.headers)
    assert full.status_code == 201
    assert used(db) == 1  # the first campaign's code is free again, the second's stays used
    again = client.get(f"{API}/coupon-campaigns/{back['id']}", headers=shop.headers).json()
    assert again["used"] == 0
    uses = db.run(
        lambda s: s.scalar(
            select(CouponCustomerUse.used).where(
                CouponCustomerUse.campaign_id == uuid.UUID(again["id"])
            )
        ),
        write=False,
    )
    assert uses == 0
    r = post(
        client, shop, sale("R-2", ("CAKE", "cakes", 1, 10000), customer=me, coupon_codes=[one])
    )
    assert r.status_code == 201, r.text  # usable again, within the limits again


def test_a_personal_code_works_for_its_customer_until_it_expires(
    client: TestClient, db: Database
) -> None:
    from datetime import UTC, datetime, timedelta

    from regulars.kit import clock
    from regulars.offers import service as offers

    shop = make_merchant(db)
    mine = make_customer(db, shop, phone="09 7812 34567")
    made = campaign(client, shop, name="Birthday", kind="amount_off", value=1000)
    at = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)
    with clock.frozen(at):
        code = db.run(
            lambda s: offers.personal_code(s, shop.ctx, mine.id, uuid.UUID(made["id"]), 3)
        ).code
    me = {"id": str(mine.id)}
    late = sale("R-1", ("CAKE", "cakes", 1, 10000), customer=me, coupon_codes=[code])
    with clock.frozen(at + timedelta(days=3)):
        _refused(client, db, shop, late, 0, "expired")
    with clock.frozen(at + timedelta(days=2, hours=23)):
        anonymous = sale("R-2", ("CAKE", "cakes", 1, 10000), coupon_codes=[code])
        _refused(client, db, shop, anonymous, 0, "needs_customer")
        r = post(client, shop, late)
    assert r.status_code == 201, r.text
    assert r.json()["discounts"][0]["amount"] == 1000

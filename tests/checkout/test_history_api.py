"""A customer's purchases and what they add up to, read from the sales: newest first with their
lines, favourites by quantity kept, visits, lifetime spend with refunds taken off."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from regulars.checkout import history
from regulars.db import Database
from regulars.kit import clock
from tests.checkout.test_checkout_api import sale
from tests.factories import Shop, make_customer, make_merchant

API = "/api/v1"
DAY1 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def _sell(client: TestClient, shop: Shop, at: datetime, body: dict[str, Any]) -> dict[str, Any]:
    with clock.frozen(at):
        r = client.post(f"{API}/checkout", json=body, headers=shop.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _three_visits(client: TestClient, db: Database) -> tuple[Shop, str, list[dict[str, Any]]]:
    """Three visits of one customer, 4 and 6 days apart; the second's buns are all returned.
    Around them, an anonymous sale and another customer's, which must not count."""
    shop = make_merchant(db)  # MMK: 1 point per 1,000 kyat
    mya = str(make_customer(db, shop, phone="09 7812 34567").id)
    other = str(make_customer(db, shop, name="Ko Zaw", phone="09 4200 00001").id)
    me = {"id": mya}
    sales = [
        _sell(client, shop, DAY1,
              sale("R-1", me, ("CAKE", "cakes", 2, 5000), ("TEA", "drinks", 1, 1500))),
        _sell(client, shop, datetime(2026, 3, 5, 10, tzinfo=UTC),
              sale("R-2", me, ("CAKE", "cakes", 1, 5000), ("BUN", "breads", 3, 800))),
        _sell(client, shop, datetime(2026, 3, 11, 10, tzinfo=UTC),
              sale("R-3", me, ("TEA", "drinks", 2, 1500), ("BUN", "breads", 1, 800))),
    ]  # fmt: skip
    _sell(client, shop, DAY1, sale("A-1", None, ("BUN", "breads", 50, 800)))
    _sell(client, shop, DAY1, sale("Z-1", {"id": other}, ("BUN", "breads", 40, 800)))
    with clock.frozen(datetime(2026, 3, 6, tzinfo=UTC)):
        r = client.post(
            f"{API}/purchases/{sales[1]['purchase_id']}/refunds",
            json={"refund_id": "RF-1", "lines": [{"sku": "BUN", "quantity": 3}]},
            headers=shop.headers,
        )
    assert r.status_code == 201, r.text
    assert (r.json()["amount"], r.json()["points_reversed"]) == (2400, 2)
    return shop, mya, sales


def test_purchases_come_newest_first_with_lines_points_and_refunds(
    client: TestClient, db: Database
) -> None:
    shop, mya, sales = _three_visits(client, db)
    url = f"{API}/customers/{mya}/purchases"
    first = client.get(url, params={"limit": 2}, headers=shop.headers)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [p["receipt_id"] for p in page["data"]] == ["R-3", "R-2"]
    newest = page["data"][0]
    assert newest == {
        "id": sales[2]["purchase_id"],
        "receipt_id": "R-3",
        "store_id": sales[2]["store_id"],
        "currency": "MMK",
        "subtotal": 3800,
        "discount_total": 0,
        "points_value": 0,
        "total": 3800,
        "refunded_total": 0,
        "points_earned": 3,
        "points_redeemed": 0,
        "created_at": "2026-03-11T10:00:00Z",
        "lines": [
            {"line_no": 0, "sku": "TEA", "name": "Tea", "category": "drinks", "quantity": 2,
             "unit_price": 1500, "discount": 0, "net": 3000, "refunded_quantity": 0},
            {"line_no": 1, "sku": "BUN", "name": "Bun", "category": "breads", "quantity": 1,
             "unit_price": 800, "discount": 0, "net": 800, "refunded_quantity": 0},
        ],
    }  # fmt: skip
    refunded = page["data"][1]
    assert (refunded["total"], refunded["refunded_total"], refunded["points_earned"]) == (
        7400,
        2400,
        7,
    )
    assert [(ln["sku"], ln["quantity"], ln["refunded_quantity"]) for ln in refunded["lines"]] == [
        ("CAKE", 1, 0),
        ("BUN", 3, 3),
    ]
    assert page["next_cursor"]
    rest = client.get(
        url, params={"limit": 2, "cursor": page["next_cursor"]}, headers=shop.headers
    ).json()
    assert [p["receipt_id"] for p in rest["data"]] == ["R-1"]
    assert rest["data"][0]["total"] == 11500 and rest["data"][0]["points_earned"] == 11
    assert rest["next_cursor"] is None


def test_insights_add_up_the_sales_with_refunds_taken_off(client: TestClient, db: Database) -> None:
    shop, mya, _sales = _three_visits(client, db)
    r = client.get(f"{API}/customers/{mya}/insights", headers=shop.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "customer_id": mya,
        "currency": "MMK",
        "visits": 3,
        "first_visit_at": "2026-03-01T10:00:00Z",
        "last_visit_at": "2026-03-11T10:00:00Z",
        "lifetime_spend": 11500 + 7400 - 2400 + 3800,
        "average_days_between_visits": 5.0,
        "favourite_items": [
            {"sku": "CAKE", "name": "Cake", "category": "cakes", "quantity": 3},
            {"sku": "TEA", "name": "Tea", "category": "drinks", "quantity": 3},
            {"sku": "BUN", "name": "Bun", "category": "breads", "quantity": 1},
        ],
        "favourite_categories": [
            {"category": "cakes", "quantity": 3},
            {"category": "drinks", "quantity": 3},
            {"category": "breads", "quantity": 1},
        ],
    }


def test_usual_basket_holds_what_was_bought_on_two_visits(client: TestClient, db: Database) -> None:
    shop, mya, _sales = _three_visits(client, db)
    basket = db.run(lambda s: history.usual_basket(s, shop.ctx, uuid.UUID(mya)), write=False)
    assert basket == [  # 3 cakes over 2 visits: 2 a visit (1.5, rounded up); the bun once only
        {"sku": "CAKE", "name": "Cake", "category": "cakes", "quantity": 2, "unit_price": 5000},
        {"sku": "TEA", "name": "Tea", "category": "drinks", "quantity": 2, "unit_price": 1500},
    ]


def test_a_customer_without_sales_has_empty_history(client: TestClient, db: Database) -> None:
    shop = make_merchant(db, name="Kedai Ali", country="MY", currency="MYR",
                         timezone="Asia/Kuala_Lumpur", locale="ms")  # fmt: skip
    ali = str(make_customer(db, shop, name="Ali").id)
    r = client.get(f"{API}/customers/{ali}/purchases", headers=shop.headers)
    assert r.status_code == 200 and r.json() == {"data": [], "next_cursor": None}
    r = client.get(f"{API}/customers/{ali}/insights", headers=shop.headers)
    assert r.json() == {
        "customer_id": ali,
        "currency": "MYR",
        "visits": 0,
        "first_visit_at": None,
        "last_visit_at": None,
        "lifetime_spend": 0,
        "average_days_between_visits": None,
        "favourite_items": [],
        "favourite_categories": [],
    }


def test_another_merchants_customer_is_404_and_a_bad_cursor_422(
    client: TestClient, db: Database
) -> None:
    shop, mya, _sales = _three_visits(client, db)
    elsewhere = make_merchant(db, name="Lahore Mobiles", country="PK", currency="PKR",
                              timezone="Asia/Karachi", locale="ur")  # fmt: skip
    for path in ("purchases", "insights"):
        r = client.get(f"{API}/customers/{mya}/{path}", headers=elsewhere.headers)
        assert r.status_code == 404, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "R-1" not in r.text
    r = client.get(
        f"{API}/customers/{mya}/purchases", params={"cursor": "!!"}, headers=shop.headers
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "cursor"

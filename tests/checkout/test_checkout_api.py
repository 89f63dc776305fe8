"""Checkout over HTTP: earning, replays, vouchers, points as payment, refunds, stamps, tiers."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.checkout.models import Purchase, PurchaseLine
from regulars.checkout.schemas import CheckoutOut
from regulars.db import Database
from regulars.kit import clock
from regulars.loyalty import sale as loyalty_sale
from tests.factories import Shop, make_customer, make_merchant

API = "/api/v1"


def sale(
    receipt: str, customer: dict[str, Any] | None, *lines: tuple[str, str, int, int], **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "receipt_id": receipt,
        "lines": [
            {"sku": sku, "name": sku.title(), "category": cat, "quantity": qty, "unit_price": price}
            for sku, cat, qty, price in lines
        ],
    }
    if customer is not None:
        body["customer"] = customer
    return body | extra


def canonical(out: dict[str, Any]) -> dict[str, Any]:
    """A quote or a new sale is sent as built: it must already be what the response model
    writes (checkout/api.py)."""
    modelled = CheckoutOut.model_validate(out).model_dump(mode="json")
    assert modelled == out and list(modelled) == list(out)  # the same fields, in the same order
    return out


def put_program(client: TestClient, shop: Shop, program: dict[str, Any]) -> None:
    r = client.put(f"{API}/program", json=program, headers=shop.headers)
    assert r.status_code == 200, r.text


def ledger_of(client: TestClient, shop: Shop, customer_id: str) -> list[dict[str, Any]]:
    r = client.get(f"{API}/customers/{customer_id}/ledger", headers=shop.headers)
    assert r.status_code == 200
    return list(r.json()["data"])


def test_a_sale_by_local_phone_earns_points_and_the_ledger_shows_them(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)  # MMK default program: 1 point per 1,000 kyat
    cust = make_customer(db, shop, phone="09 7812 34567", locale="my")
    body = sale(
        "R-1001",
        {"phone": "09 7812 34567"},
        ("CAKE-1", "cakes", 2, 5000),
        ("TEA", "drinks", 1, 1500),
    )
    r = client.post(f"{API}/checkout", json=body, headers=shop.headers)
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["subtotal"], out["total"], out["points_earned"], out["balance"]) == (
        11500,
        11500,
        11,
        11,
    )
    assert out["currency"] == "MMK"
    assert out["points_breakdown"] == [{"rule": "base", "points": 11}]
    assert any("11" in line for line in out["receipt_lines"])
    entries = ledger_of(client, shop, str(cust.id))
    assert [(e["points"], e["kind"], e["purchase_id"]) for e in entries] == [
        (11, "earn", out["purchase_id"])
    ]
    summary = client.get(f"{API}/customers/{cust.id}/loyalty", headers=shop.headers).json()
    assert summary["balance"] == 11 and summary["lifetime_earned"] == 11


def test_replays_return_the_first_result_and_another_body_is_409(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    body = sale("R-7", {"id": str(cust.id)}, ("CAKE-1", "cakes", 1, 9000))
    first = client.post(f"{API}/checkout", json=body, headers=shop.headers)
    assert first.status_code == 201
    for _ in range(50):
        again = client.post(f"{API}/checkout", json=body, headers=shop.headers)
        assert again.status_code == 200
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
    other = sale("R-7", {"id": str(cust.id)}, ("CAKE-1", "cakes", 2, 9000))
    r = client.post(f"{API}/checkout", json=other, headers=shop.headers)
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert [e["points"] for e in ledger_of(client, shop, str(cust.id))] == [9]


def test_quote_matches_commit_and_writes_nothing(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    body = sale("R-Q", {"member_code": cust.member_code.lower()}, ("BREAD", "bread", 3, 2500))
    quote = client.post(f"{API}/checkout/quote", json=body, headers=shop.headers).json()
    assert quote["purchase_id"] is None and quote["points_earned"] == 7 and quote["balance"] == 7
    assert ledger_of(client, shop, str(cust.id)) == []
    done = client.post(f"{API}/checkout", json=body, headers=shop.headers).json()
    for key in ("subtotal", "total", "points_earned", "balance", "points_breakdown"):
        assert done[key] == quote[key]


def test_unknown_customer_and_bad_lines_are_422_and_write_nothing(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    r = client.post(
        f"{API}/checkout",
        json=sale("R-1", {"phone": "09 7812 34567"}, ("A", "a", 1, 100)),
        headers=shop.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "customer.phone"
    r = client.post(
        f"{API}/checkout", json=sale("R-1", None, ("A", "a", 0, 100)), headers=shop.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lines.0.quantity"
    r = client.post(
        f"{API}/checkout",
        json=sale("R-1", None, ("A", "a", 1, 100), coupon_codes=["NOPE"]),
        headers=shop.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "coupon_codes.0"
    ok = client.post(
        f"{API}/checkout", json=sale("R-1", None, ("A", "a", 1, 100)), headers=shop.headers
    )
    assert ok.status_code == 201  # the receipt id was not taken by the failed attempts


def test_anonymous_sale_is_recorded_and_earns_nothing(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    r = client.post(
        f"{API}/checkout", json=sale("R-A", None, ("CAKE", "cakes", 4, 5000)), headers=shop.headers
    )
    assert r.status_code == 201
    out = r.json()
    assert out["customer_id"] is None and out["points_earned"] == 0 and out["balance"] is None
    got = client.get(f"{API}/purchases/{out['purchase_id']}", headers=shop.headers)
    assert got.status_code == 200 and got.json()["total"] == 20000


def test_myr_program_with_multipliers_and_points_payment(client: TestClient, db: Database) -> None:
    shop = make_merchant(
        db,
        name="Kopi Kawan",
        country="MY",
        currency="MYR",
        timezone="Asia/Kuala_Lumpur",
        locale="ms",
    )
    put_program(
        client,
        shop,
        {
            "earn": {"points": 1, "per_amount": 100, "category_multipliers": {"coffee": 200}},
            "points_payment": {"point_value": 1, "max_percent": 50},
        },
    )
    cust = make_customer(db, shop, phone="012-345 6789", locale="ms")
    first = sale(
        "K-1", {"phone": "012-345 6789"}, ("LATTE", "coffee", 2, 1250), ("KUIH", "snacks", 1, 500)
    )
    out = client.post(f"{API}/checkout", json=first, headers=shop.headers).json()
    # RM25.00 coffee x2 + RM5.00 = 55.00 weighted -> 55 points
    assert out["points_earned"] == 55 and out["balance"] == 55
    too_many = sale("K-2", {"id": str(cust.id)}, ("KUIH", "snacks", 1, 500), redeem_points=251)
    r = client.post(f"{API}/checkout", json=too_many, headers=shop.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "redeem_points"
    pay = sale("K-2", {"id": str(cust.id)}, ("KUIH", "snacks", 2, 500), redeem_points=50)
    out = client.post(f"{API}/checkout", json=pay, headers=shop.headers).json()
    # RM10.00, 50 points pay RM0.50, RM9.50 paid earns 9
    assert (out["total"], out["points_value"], out["points_earned"], out["balance"]) == (
        950,
        50,
        9,
        14,
    )
    assert any("RM" in line for line in out["receipt_lines"])


def test_reward_voucher_applies_once(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    client.post(
        f"{API}/checkout",
        json=sale("R-1", {"id": str(cust.id)}, ("CAKE", "cakes", 10, 5000)),
        headers=shop.headers,
    )
    reward = client.post(
        f"{API}/rewards",
        json={"name": "Free tea", "kind": "free_item", "cost_points": 30, "sku": "TEA"},
        headers=shop.headers,
    ).json()
    r = client.post(
        f"{API}/customers/{cust.id}/redemptions",
        json={"reward_id": reward["id"]},
        headers=shop.headers,
    )
    assert r.status_code == 201, r.text
    voucher = r.json()["voucher"]
    assert r.json()["balance"] == 20 and len(voucher["code"]) == 12
    poor = client.post(
        f"{API}/customers/{cust.id}/redemptions",
        json={"reward_id": reward["id"]},
        headers=shop.headers,
    )
    assert poor.status_code == 409 and poor.json()["type"] == "/problems/insufficient-points"
    body = sale(
        "R-2",
        {"id": str(cust.id)},
        ("TEA", "drinks", 2, 1500),
        ("CAKE", "cakes", 1, 5000),
        vouchers=[voucher["code"]],
    )
    out = canonical(client.post(f"{API}/checkout", json=body, headers=shop.headers).json())
    assert out["discount_total"] == 1500 and out["total"] == 6500
    assert out["vouchers_applied"] == [
        {"code": voucher["code"], "name": "Free tea", "discount": 1500}
    ]
    again = sale(
        "R-3", {"id": str(cust.id)}, ("TEA", "drinks", 1, 1500), vouchers=[voucher["code"]]
    )
    r = client.post(f"{API}/checkout", json=again, headers=shop.headers)
    assert r.status_code == 409


def test_refunds_reverse_points_in_proportion_and_replay(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    out = client.post(
        f"{API}/checkout",
        json=sale("R-1", {"id": str(cust.id)}, ("CAKE", "cakes", 4, 10000)),
        headers=shop.headers,
    ).json()
    assert out["points_earned"] == 40
    pid = out["purchase_id"]
    r = client.post(
        f"{API}/purchases/{pid}/refunds",
        json={"refund_id": "RF-1", "lines": [{"sku": "CAKE", "quantity": 3}]},
        headers=shop.headers,
    )
    assert r.status_code == 201, r.text
    assert (r.json()["amount"], r.json()["points_reversed"], r.json()["balance"]) == (30000, 30, 10)
    replay = client.post(
        f"{API}/purchases/{pid}/refunds",
        json={"refund_id": "RF-1", "lines": [{"sku": "CAKE", "quantity": 3}]},
        headers=shop.headers,
    )
    assert replay.status_code == 200 and replay.json() == r.json()
    too_many = client.post(
        f"{API}/purchases/{pid}/refunds",
        json={"refund_id": "RF-2", "lines": [{"sku": "CAKE", "quantity": 2}]},
        headers=shop.headers,
    )
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "lines.0.quantity"
    rest = client.post(
        f"{API}/purchases/{pid}/refunds", json={"refund_id": "RF-3"}, headers=shop.headers
    )
    assert (rest.json()["amount"], rest.json()["points_reversed"], rest.json()["balance"]) == (
        10000,
        10,
        0,
    )
    points = [e["points"] for e in ledger_of(client, shop, str(cust.id))]
    assert sorted(points) == [-30, -10, 40] and sum(points) == 0


def test_clawback_debt_is_repaid_by_later_earnings(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    first = client.post(
        f"{API}/checkout",
        json=sale("R-1", {"id": str(cust.id)}, ("CAKE", "cakes", 1, 50000)),
        headers=shop.headers,
    ).json()
    reward = client.post(
        f"{API}/rewards",
        json={"name": "1,000 off", "kind": "amount_off", "cost_points": 50, "amount": 1000},
        headers=shop.headers,
    ).json()
    client.post(
        f"{API}/customers/{cust.id}/redemptions",
        json={"reward_id": reward["id"]},
        headers=shop.headers,
    )
    r = client.post(
        f"{API}/purchases/{first['purchase_id']}/refunds",
        json={"refund_id": "RF"},
        headers=shop.headers,
    )
    assert r.json()["balance"] == -50
    later = client.post(
        f"{API}/checkout",
        json=sale("R-2", {"id": str(cust.id)}, ("CAKE", "cakes", 1, 80000)),
        headers=shop.headers,
    ).json()
    assert later["points_earned"] == 80 and later["balance"] == 30


def test_stamp_card_gives_a_free_item_voucher_and_refund_takes_stamps_back(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    put_program(
        client,
        shop,
        {
            "stamp_cards": [
                {
                    "code": "coffee",
                    "name": "Coffee card",
                    "categories": ["coffee"],
                    "stamps_required": 5,
                    "reward_name": "Free coffee",
                    "reward_sku": "COFFEE",
                }
            ]
        },
    )
    cust = make_customer(db, shop, phone="09 7812 34567")
    out = client.post(
        f"{API}/checkout",
        json=sale("R-1", {"id": str(cust.id)}, ("COFFEE", "coffee", 7, 3000)),
        headers=shop.headers,
    ).json()
    assert canonical(out)["stamps"] == [
        {
            "card": "coffee",
            "name": "Coffee card",
            "stamps": 2,
            "required": 5,
            "reward_name": "Free coffee",
            "completed_now": 1,
            "names": {},
            "reward_names": {},
        }
    ]
    summary = client.get(f"{API}/customers/{cust.id}/loyalty", headers=shop.headers).json()
    assert [v["name"] for v in summary["vouchers"]] == ["Free coffee"]
    client.post(
        f"{API}/purchases/{out['purchase_id']}/refunds",
        json={"refund_id": "RF", "lines": [{"sku": "COFFEE", "quantity": 1}]},
        headers=shop.headers,
    )
    summary = client.get(f"{API}/customers/{cust.id}/loyalty", headers=shop.headers).json()
    assert summary["stamps"][0]["stamps"] == 1


TIERS = {
    "tiers": {
        "window_months": 12,
        "downgrade_grace_days": 30,
        "levels": [
            {"code": "member", "name": "Member", "min_spend": 0},
            {
                "code": "gold",
                "name": "Gold",
                "min_spend": 100000,
                "multiplier": 150,
                "perks": "Free slice",
            },
        ],
    }
}


def test_tier_upgrades_on_a_sale_and_downgrades_after_the_grace(
    client: TestClient, db: Database
) -> None:
    from regulars import daily

    shop = make_merchant(db)
    put_program(client, shop, TIERS)
    cust = make_customer(db, shop, phone="09 7812 34567")
    start = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)
    with clock.frozen(start):
        out = client.post(
            f"{API}/checkout",
            json=sale("R-1", {"id": str(cust.id)}, ("CAKE", "cakes", 1, 120000)),
            headers=shop.headers,
        ).json()
    assert (
        out["tier"]["code"] == "gold" and out["points_earned"] == 120
    )  # multiplier from next sale
    with clock.frozen(start + timedelta(days=10)):
        out = client.post(
            f"{API}/checkout",
            json=sale("R-2", {"id": str(cust.id)}, ("CAKE", "cakes", 1, 10000)),
            headers=shop.headers,
        ).json()
    assert out["points_breakdown"] == [
        {"rule": "base", "points": 10},
        {"rule": "tier:gold", "points": 5},
    ]
    # a year on, the window holds nothing: below gold since then, downgraded 30 days later
    with clock.frozen(start + timedelta(days=380)):
        daily.run_job(db, shop.ctx, "tiers.recompute")
    with clock.frozen(start + timedelta(days=405)):
        daily.run_job(db, shop.ctx, "tiers.recompute")
    summary = client.get(f"{API}/customers/{cust.id}/loyalty", headers=shop.headers).json()
    assert summary["tier"]["code"] == "gold"
    with clock.frozen(start + timedelta(days=411)):
        daily.run_job(db, shop.ctx, "tiers.recompute")
    summary = client.get(f"{API}/customers/{cust.id}/loyalty", headers=shop.headers).json()
    assert summary["tier"]["code"] == "member"
    assert summary["tier"]["spend_to_next"] == 100000


def test_program_validation_and_versions_never_rewrite_the_past(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    bad = client.put(f"{API}/program", json={"earn": {"per_amount": 0}}, headers=shop.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("earn")
    cust = make_customer(db, shop, phone="09 7812 34567")
    client.post(
        f"{API}/checkout",
        json=sale("R-1", {"id": str(cust.id)}, ("CAKE", "cakes", 1, 10000)),
        headers=shop.headers,
    )
    put_program(client, shop, {"earn": {"points": 5, "per_amount": 1000}})
    assert client.get(f"{API}/program", headers=shop.headers).json()["version"] == 1
    client.post(
        f"{API}/checkout",
        json=sale("R-2", {"id": str(cust.id)}, ("CAKE", "cakes", 1, 10000)),
        headers=shop.headers,
    )
    assert sorted(e["points"] for e in ledger_of(client, shop, str(cust.id))) == [10, 50]
    cashier = shop.key_for(db, "cashier")
    r = client.put(f"{API}/program", json={}, headers=cashier)
    assert r.status_code == 403


def test_adjustments_need_a_manager_and_a_reason_and_never_overdraw(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    cashier = shop.key_for(db, "cashier")
    url = f"{API}/customers/{cust.id}/adjustments"
    assert (
        client.post(url, json={"points": 5, "reason": "goodwill"}, headers=cashier).status_code
        == 403
    )
    r = client.post(url, json={"points": 5}, headers=shop.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = client.post(url, json={"points": 5, "reason": "goodwill"}, headers=shop.headers)
    assert r.status_code == 201 and r.json()["balance"] == 5
    r = client.post(url, json={"points": -6, "reason": "typo"}, headers=shop.headers)
    assert r.status_code == 409
    audit = client.get(f"{API}/audit-events", headers=shop.headers).json()["data"]
    assert [e["action"] for e in audit if e["action"] == "points.adjusted"] == ["points.adjusted"]


def test_customer_payload_carries_points_balance_and_tier(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    put_program(client, shop, TIERS)
    created = client.post(f"{API}/customers", json={"name": "Su Su"}, headers=shop.headers).json()
    assert (created["points_balance"], created["tier"]) == (0, None)
    client.post(
        f"{API}/checkout",
        json=sale("R-1", {"id": created["id"]}, ("CAKE", "cakes", 1, 150000)),
        headers=shop.headers,
    )
    got = client.get(f"{API}/customers/{created['id']}", headers=shop.headers).json()
    assert (got["points_balance"], got["tier"]) == (150, "gold")
    listed = client.get(f"{API}/customers", params={"q": "Su Su"}, headers=shop.headers).json()
    assert [(c["points_balance"], c["tier"]) for c in listed["data"]] == [(150, "gold")]


def test_a_settlement_the_balance_cannot_cover_writes_nothing_at_all(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The account update's guard, on both write paths (one statement on PostgreSQL): if it
    does not match, the sale, its lines and its entries are all rolled back."""
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    who = {"id": str(cust.id)}
    first = client.post(f"{API}/checkout", json=sale("R-1", who, ("CAKE", "cakes", 10, 5000)),
                        headers=shop.headers)  # fmt: skip
    assert first.status_code == 201 and first.json()["balance"] == 50
    real = loyalty_sale.settlement

    def overdrawing(*args: Any, **kwargs: Any) -> Any:
        settle = real(*args, **kwargs)
        move = dataclasses.replace(settle.move, debit=51, delta=settle.move.delta - 51)
        return dataclasses.replace(settle, move=move)

    monkeypatch.setattr(loyalty_sale, "settlement", overdrawing)
    r = client.post(f"{API}/checkout", json=sale("R-2", who, ("CAKE", "cakes", 1, 5000)),
                    headers=shop.headers)  # fmt: skip
    assert r.status_code == 409 and r.json()["type"] == "/problems/insufficient-points"
    monkeypatch.setattr(loyalty_sale, "settlement", real)
    assert [e["points"] for e in ledger_of(client, shop, str(cust.id))] == [50]
    got = client.get(f"{API}/customers/{cust.id}/loyalty", headers=shop.headers).json()
    assert got["balance"] == 50
    with db.session(write=False) as session:
        receipts = session.scalars(select(Purchase.receipt_id)).all()
        lines = session.scalar(select(func.count()).select_from(PurchaseLine))
    assert (receipts, lines) == (["R-1"], 1)

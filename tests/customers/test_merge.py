"""Merging two customers (C6) over the API: everything of the other moves to the survivor, the
other is an erased row pointing at it, the ledger still sums to the balance, races leave one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.checkout.models import Purchase
from regulars.customers import merge
from regulars.customers.models import Customer, Note
from regulars.customers.schemas import CustomerMerge
from regulars.db import Database
from regulars.kit import clock
from regulars.kit.errors import NotFound
from regulars.loyalty import ledger
from regulars.loyalty import service as loyalty
from regulars.merchants.models import AuditEvent
from tests.checkout.test_checkout_api import TIERS, put_program, sale
from tests.checkout.test_concurrency import race
from tests.factories import Shop, make_customer, make_merchant

API = "/api/v1"
COFFEE_CARD = {
    "code": "coffee",
    "name": "Coffee card",
    "categories": ["coffee"],
    "stamps_required": 5,
    "reward_name": "Free coffee",
    "reward_sku": "COFFEE",
}


def _post(client: TestClient, shop: Shop, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post(f"{API}{path}", json=body, headers=shop.headers)
    assert r.status_code in (200, 201), r.text
    return dict(r.json())


def _sums(db: Database, shop: Shop, customer_id: Any) -> tuple[int, int]:
    return db.run(
        lambda s: (
            ledger.balance(s, shop.ctx, customer_id),
            loyalty.ledger_sum(s, shop.ctx, customer_id),
        ),
        write=False,
    )


def _count(db: Database, model: Any, **where: Any) -> int:
    def read(s):  # type: ignore[no-untyped-def]
        q = select(func.count()).select_from(model)
        for key, value in where.items():
            q = q.where(getattr(model, key) == value)
        return s.scalar(q)

    return int(db.run(read, write=False))


def _two_regulars(client: TestClient, db: Database, shop: Shop) -> tuple[Any, Any]:
    """Ko Zaw at the till by phone; the same man again by email from an import, who then
    redeemed a reward. Each has sales, stamps, points, a note and consent."""
    put_program(client, shop, {"stamp_cards": [COFFEE_CARD]})
    with clock.frozen(datetime(2026, 11, 1, 9, tzinfo=UTC)):
        till = make_customer(
            db,
            shop,
            name="Ko Zaw",
            phone="09 7812 34567",
            tags=["till"],
            consent={"sms": True, "email": False},
        )
        _post(
            client,
            shop,
            "/checkout",
            sale("R-1", {"id": str(till.id)}, ("COFFEE", "coffee", 3, 3000)),
        )
        _post(client, shop, f"/customers/{till.id}/notes", {"body": "Oat milk"})
    with clock.frozen(datetime(2026, 11, 20, 9, tzinfo=UTC)):
        imported = make_customer(
            db,
            shop,
            name="Zaw Min",
            email="zaw@example.com",
            birthday="1990-05-14",
            tags=["import", "till"],
            attributes={"plate": "YGN 2B-1234"},
            consent={"email": True, "viber": True},
        )
        _post(
            client,
            shop,
            "/checkout",
            sale("R-2", {"id": str(imported.id)}, ("COFFEE", "coffee", 4, 5000)),
        )
        reward = _post(
            client,
            shop,
            "/rewards",
            {"name": "Cake", "kind": "amount_off", "cost_points": 10, "amount": 5000},
        )
        _post(client, shop, f"/customers/{imported.id}/redemptions", {"reward_id": reward["id"]})
        _post(client, shop, f"/customers/{imported.id}/notes", {"body": "Wholesale orders"})
    return till, imported


def test_merge_moves_sales_points_vouchers_stamps_notes_and_consent_to_the_survivor(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    till, imported = _two_regulars(client, db, shop)
    before = [
        client.get(f"{API}/customers/{c.id}/loyalty", headers=shop.headers).json()
        for c in (till, imported)
    ]
    assert [b["balance"] for b in before] == [9, 10]  # 9 earned; 20 earned - 10 redeemed
    assert [b["stamps"][0]["stamps"] for b in before] == [3, 4]

    with clock.frozen(datetime(2026, 12, 1, 9, tzinfo=UTC)):
        r = client.post(
            f"{API}/customers/{till.id}/merge",
            json={"other_id": str(imported.id)},
            headers=shop.headers,
        )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["id"] == str(till.id)
    assert out["member_code"] == till.member_code
    assert out["points_balance"] == 19
    assert (out["name"], out["phone"], out["email"]) == (
        "Ko Zaw",
        "+959781234567",
        "zaw@example.com",
    )
    assert out["birthday"] == "1990-05-14"
    assert out["tags"] == ["till", "import"]
    assert out["attributes"] == {"plate": "YGN 2B-1234"}
    # the latest answer per channel wins: email yes (20 Nov) over no (1 Nov); sms and viber kept
    assert {ch: c["granted"] for ch, c in out["consent"].items()} == {
        "email": True,
        "sms": True,
        "viber": True,
    }

    summary = client.get(f"{API}/customers/{till.id}/loyalty", headers=shop.headers).json()
    assert summary["balance"] == 19
    assert summary["lifetime_earned"] == 29
    assert summary["stamps"][0]["stamps"] == 2  # 3 + 4 = 7: one full card of 5, 2 carried over
    assert sorted(v["name"] for v in summary["vouchers"]) == ["Cake", "Free coffee"]
    history = client.get(f"{API}/customers/{till.id}/ledger", headers=shop.headers).json()["data"]
    assert sorted(e["points"] for e in history) == [-10, 9, 20]
    notes = client.get(f"{API}/customers/{till.id}/notes", headers=shop.headers).json()
    assert [n["body"] for n in notes] == ["Wholesale orders", "Oat milk"]
    assert _count(db, Purchase, customer_id=till.id) == 2
    assert _sums(db, shop, till.id) == (19, 19)

    assert client.get(f"{API}/customers/{imported.id}", headers=shop.headers).status_code == 404
    gone = db.run(lambda s: s.get(Customer, (shop.id, imported.id)), write=False)
    assert gone.merged_into_id == till.id and gone.erased_at is not None
    assert (gone.name, gone.phone, gone.email, gone.birthday) == (None, None, None, None)
    assert _count(db, Note, customer_id=imported.id) == 0
    assert _count(db, Purchase, customer_id=imported.id) == 0
    assert _sums(db, shop, imported.id) == (0, 0)
    actions = db.run(
        lambda s: sorted(
            (e.action, str(e.entity_id), e.changes.get("ledger_entries"))
            for e in s.scalars(select(AuditEvent).where(AuditEvent.action.like("customer.merged%")))
        ),
        write=False,
    )
    assert actions == [
        ("customer.merged", str(till.id), 2),  # the imported row's earn and redeem
        ("customer.merged_into", str(imported.id), None),
    ]


def test_the_survivor_reaches_the_tier_the_combined_sales_reach(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    put_program(client, shop, TIERS)  # Gold from 100,000 kyat in 12 months
    a = make_customer(db, shop, phone="09 7812 34567")
    b = make_customer(db, shop, phone="09 7812 34568")
    _post(client, shop, "/checkout", sale("R-A", {"id": str(a.id)}, ("CAKE", "cakes", 1, 60000)))
    _post(client, shop, "/checkout", sale("R-B", {"id": str(b.id)}, ("CAKE", "cakes", 1, 50000)))
    assert client.get(f"{API}/customers/{a.id}", headers=shop.headers).json()["tier"] == "member"
    out = _post(client, shop, f"/customers/{a.id}/merge", {"other_id": str(b.id)})
    assert (out["tier"], out["points_balance"]) == ("gold", 110)
    summary = client.get(f"{API}/customers/{a.id}/loyalty", headers=shop.headers).json()
    assert summary["tier"]["qualifying_spend"] == 110000
    assert _sums(db, shop, a.id) == (110, 110)


def test_a_customer_cannot_be_merged_into_itself(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    r = client.post(
        f"{API}/customers/{cust.id}/merge", json={"other_id": str(cust.id)}, headers=shop.headers
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"] == [
        {"field": "other_id", "message": "a customer cannot be merged into itself"}
    ]
    assert client.get(f"{API}/customers/{cust.id}", headers=shop.headers).status_code == 200


def test_another_shops_customer_is_not_found_either_way(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    mine = make_customer(db, shop, phone="09 7812 34567")
    other_shop = make_merchant(db, name="Other")
    theirs = make_customer(db, other_shop, phone="09 7812 34567")
    for path_id, other_id, headers in (
        (mine.id, theirs.id, shop.headers),
        (theirs.id, mine.id, shop.headers),
        (mine.id, theirs.id, other_shop.headers),
    ):
        r = client.post(
            f"{API}/customers/{path_id}/merge", json={"other_id": str(other_id)}, headers=headers
        )
        assert r.status_code == 404, r.text
    for shop_, cust in ((shop, mine), (other_shop, theirs)):
        r = client.get(f"{API}/customers/{cust.id}", headers=shop_.headers)
        assert r.status_code == 200 and r.json()["phone"] == "+959781234567"
    assert _count(db, AuditEvent, action="customer.merged") == 0


def test_a_cashier_cannot_merge(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    a = make_customer(db, shop, phone="09 7812 34567")
    b = make_customer(db, shop, phone="09 7812 34568")
    r = client.post(
        f"{API}/customers/{a.id}/merge",
        json={"other_id": str(b.id)},
        headers=shop.key_for(db, "cashier"),
    )
    assert r.status_code == 403
    assert client.get(f"{API}/customers/{b.id}", headers=shop.headers).status_code == 200


def test_concurrent_merges_of_one_pair_leave_one_survivor_and_the_ledger_adds_up(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    a = make_customer(db, shop, phone="09 7812 34567")
    b = make_customer(db, shop, phone="09 7812 34568")
    _post(client, shop, "/checkout", sale("R-A", {"id": str(a.id)}, ("CAKE", "cakes", 1, 7000)))
    _post(client, shop, "/checkout", sale("R-B", {"id": str(b.id)}, ("CAKE", "cakes", 1, 5000)))
    pairs = [(a.id, b.id), (b.id, a.id)]

    def work(i: int) -> Any:
        survivor, other = pairs[i % 2]
        data = CustomerMerge(other_id=other)
        return db.run(lambda s: merge.merge_customers(s, shop.ctx, survivor, data).id)

    results = race(10, work)
    won = [r for r in results if not isinstance(r, Exception)]
    assert len(won) == 1, results
    assert all(isinstance(r, NotFound) for r in results if isinstance(r, Exception))
    survivor = won[0]
    live = [
        c
        for c in (a.id, b.id)
        if client.get(f"{API}/customers/{c}", headers=shop.headers).status_code == 200
    ]
    assert live == [survivor]
    loser = b.id if survivor == a.id else a.id
    assert _sums(db, shop, survivor) == (12, 12)
    assert _sums(db, shop, loser) == (0, 0)
    assert _count(db, Purchase, customer_id=survivor) == 2
    assert _count(db, AuditEvent, action="customer.merged") == 1

"""Welcome, thank-you, tier up, reward unlocked and restock are written with the event that causes
them, in its transaction, without a body (worded when sent)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.db import Database
from regulars.loyalty import service as loyalty
from regulars.loyalty.program import EarnRule, Program, StampCard, Tier, Tiers
from tests.automations.helpers import API, buy, outbox, switch_on
from tests.factories import make_customer, make_merchant


def test_a_new_customer_is_welcomed_only_while_the_welcome_is_on(db: Database) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, name="Before", phone="09 7812 34560")
    switch_on(db, shop, "welcome")
    mya = make_customer(db, shop, name="Ma Mya", phone="09 7812 34561")
    [m] = outbox(db, shop)
    assert (m.kind, m.customer_id, m.category, m.body, m.status) == (
        "welcome",
        mya.id,
        "marketing",
        None,
        "pending",
    )
    assert (m.dedupe_key, m.payload) == (
        f"welcome:{mya.id}",
        {"points": 0, "reason": "joined (api)"},
    )


def test_a_sale_writes_thanks_tier_up_and_an_unlocked_reward_and_an_anonymous_one_nothing(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    program = Program(
        earn=EarnRule(points=1, per_amount=100),
        tiers=Tiers(
            levels=[
                Tier(code="member", name="Member", min_spend=0),
                Tier(code="gold", name="Gold", min_spend=50_000),
            ]
        ),
        stamp_cards=[
            StampCard(
                code="cake",
                name="Cake card",
                categories=["cake"],
                stamps_required=2,
                reward_name="A free cake",
            )
        ],
    )
    db.run(lambda s: loyalty.save_program(s, shop.ctx, program))
    r = client.post(
        f"{API}/rewards",
        headers=shop.headers,
        json={"name": "Free tea", "kind": "free_item", "sku": "TEA", "cost_points": 300},
    )
    assert r.status_code == 201, r.text
    for kind in ("thank_you", "tier_up", "reward_unlocked"):
        switch_on(db, shop, kind)
    cust = make_customer(db, shop, phone="09 7812 34567")

    buy(db, shop, cust.id, "R-1", ("CAKE", 1, 10_000))  # 100 points, member tier, 1 stamp
    buy(db, shop, None, "R-2", ("CAKE", 1, 10_000))
    buy(db, shop, cust.id, "R-3", ("CAKE", 1, 45_000))  # 550 points, gold, card full

    got = [(m.kind, m.payload.get("reason")) for m in outbox(db, shop)]
    assert sorted(got) == sorted(
        [
            ("thank_you", "sale R-1"),
            ("tier_up", "tier - to member by sale R-1"),
            ("thank_you", "sale R-3"),
            ("tier_up", "tier member to gold by sale R-3"),
            ("reward_unlocked", "Free tea unlocked by sale R-3"),
        ]
    )
    thanks = next(m for m in outbox(db, shop, "thank_you") if m.payload["receipt_id"] == "R-3")
    assert thanks.payload == {
        "total": 45_000,
        "points_earned": 450,
        "balance": 550,
        "receipt_id": "R-3",
        "reason": "sale R-3",
    }
    assert all(m.body is None and m.customer_id == cust.id for m in outbox(db, shop))
    gold = next(m for m in outbox(db, shop, "tier_up") if m.payload["tier"] == "Gold")
    assert gold.payload["from_tier"] == "Member"

    log = client.get(f"{API}/automations/log", params={"kind": "tier_up"}, headers=shop.headers)
    assert log.status_code == 200
    assert [(e["kind"], e["reason"], e["status"]) for e in log.json()] == [
        ("tier_up", "tier member to gold by sale R-3", "pending"),
        ("tier_up", "tier - to member by sale R-1", "pending"),
    ]


def test_a_full_stamp_card_unlocks_its_reward(db: Database) -> None:
    shop = make_merchant(db)
    program = Program(
        stamp_cards=[
            StampCard(
                code="cake",
                name="Cake card",
                categories=["cake"],
                stamps_required=2,
                reward_name="A free cake",
            )
        ]
    )
    db.run(lambda s: loyalty.save_program(s, shop.ctx, program))
    switch_on(db, shop, "reward_unlocked")
    cust = make_customer(db, shop, phone="09 7812 34567")
    buy(db, shop, cust.id, "R-1", ("CAKE", 1, 1000))
    assert outbox(db, shop) == []
    buy(db, shop, cust.id, "R-2", ("CAKE", 1, 1000))
    assert [m.payload["reward"] for m in outbox(db, shop)] == ["A free cake"]


def test_restock_tells_the_customers_who_favour_the_item_once_a_day(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    fan = make_customer(db, shop, name="Fan", phone="09 7812 34561", consent={"sms": True})
    once = make_customer(db, shop, name="Once", phone="09 7812 34562", consent={"sms": True})
    silent = make_customer(db, shop, name="No", phone="09 7812 34563", consent={"sms": False})
    for i, cust in enumerate((fan, fan, once, silent, silent)):
        buy(db, shop, cust.id, f"R-{i}", ("PUFF", 1, 1500), ("TEA", 1, 500))
    url = f"{API}/products/PUFF/restock"
    assert client.post(url, headers=shop.headers).status_code == 409  # the automation is off
    switch_on(db, shop, "restock")

    r = client.post(url, json={"name": "Curry puff"}, headers=shop.headers)
    assert (r.status_code, r.json()) == (200, {"sku": "PUFF", "notified": 1, "already": 0})
    again = client.post(url, headers=shop.headers)
    assert again.json() == {"sku": "PUFF", "notified": 0, "already": 1}
    [m] = outbox(db, shop)
    assert (m.kind, m.customer_id, m.payload["item"], m.payload["reason"]) == (
        "restock",
        fan.id,
        "Curry puff",
        "PUFF back in stock",
    )

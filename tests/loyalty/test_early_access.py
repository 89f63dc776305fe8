"""Early access: a reward limited to a tier until a date is hidden from and refused to other
members until then, and offered to everyone after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.db import Database
from regulars.kit import clock
from regulars.loyalty import service as loyalty
from regulars.loyalty.models import Voucher
from regulars.loyalty.schemas import AdjustmentCreate
from regulars.web import loyalty_view
from tests.events.helpers import API, buy, make_gold, with_tiers
from tests.factories import make_customer, make_merchant

LAUNCH = datetime(2030, 1, 10, 0, 0, tzinfo=UTC)


def _setup(client: TestClient, db: Database, tier: str):  # type: ignore[no-untyped-def]
    shop = make_merchant(db)
    with_tiers(db, shop)
    gold = make_customer(db, shop, name="Daw Gold", phone="09 7812 34567")
    plain = make_customer(db, shop, name="U Plain", phone="09 7812 00000")
    make_gold(db, shop, gold.id)  # a 100,000 kyat sale: Gold, and 150 points
    for who in (gold, plain):
        db.run(
            lambda s, c=who: loyalty.adjust(
                s, shop.ctx, c.id, AdjustmentCreate(points=500, reason="gift")
            )
        )
    r = client.post(
        f"{API}/rewards",
        json={
            "name": "New cake first",
            "kind": "free_item",
            "sku": "NEW-CAKE",
            "cost_points": 100,
            "early_access_tier": tier,
            "early_access_until": LAUNCH.isoformat(),
        },
        headers=shop.headers,
    )
    assert r.status_code == 201, r.text
    return shop, gold, plain, r.json()


def _shown(db: Database, shop, customer_id) -> list[str]:  # type: ignore[no-untyped-def]
    card = db.run(lambda s: loyalty_view.card(s, shop.ctx, customer_id, "en"), write=False)
    return [r["name"] for r in card["rewards"]]


def _vouchers(db: Database) -> int:
    return int(db.run(lambda s: s.scalar(select(func.count()).select_from(Voucher)), write=False))


def test_an_early_accessreward_is_hidden_and_refused_for_lower_tiers_until_the_date(
    client: TestClient, db: Database
) -> None:
    shop, gold, plain, reward = _setup(client, db, "gold")
    with clock.frozen(LAUNCH - timedelta(days=1)):
        assert _shown(db, shop, gold.id) == ["New cake first"]
        assert _shown(db, shop, plain.id) == []
        r = client.post(
            f"{API}/customers/{plain.id}/redemptions",
            json={"reward_id": reward["id"]},
            headers=shop.headers,
        )
        assert (r.status_code, r.json()["type"]) == (409, "/problems/early-access")
        assert r.json()["detail"] == (
            "until 2030-01-10T00:00:00Z this reward is for gold members and above"
        )
        assert _vouchers(db) == 0
        ok = client.post(
            f"{API}/customers/{gold.id}/redemptions",
            json={"reward_id": reward["id"]},
            headers=shop.headers,
        )
        assert ok.status_code == 201, ok.text
    with clock.frozen(LAUNCH):
        assert _shown(db, shop, plain.id) == ["New cake first"]
        late = client.post(
            f"{API}/customers/{plain.id}/redemptions",
            json={"reward_id": reward["id"]},
            headers=shop.headers,
        )
        assert late.status_code == 201, late.text
    assert _vouchers(db) == 2


def test_a_higher_tier_and_a_newcomer_have_the_entry_tiers_early_access(
    client: TestClient, db: Database
) -> None:
    shop, gold, plain, reward = _setup(client, db, "member")  # the entry tier
    buy(db, shop, plain.id, 10_000, "R-MEMBER")  # a first sale puts U Plain in "member"
    newcomer = make_customer(db, shop, name="Ma New")  # never bought: the entry tier
    with clock.frozen(LAUNCH - timedelta(hours=1)):
        assert _shown(db, shop, gold.id) == ["New cake first"]
        assert _shown(db, shop, plain.id) == ["New cake first"]
        assert _shown(db, shop, newcomer.id) == ["New cake first"]
        r = client.post(
            f"{API}/customers/{newcomer.id}/redemptions",
            json={"reward_id": reward["id"]},
            headers=shop.headers,
        )
        assert (r.status_code, r.json()["type"]) == (409, "/problems/insufficient-points")


def test_early_access_needs_a_tier_of_the_program_and_both_fields(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    with_tiers(db, shop)
    base = {"name": "X", "kind": "amount_off", "amount": 1000, "cost_points": 10}
    unknown = client.post(
        f"{API}/rewards",
        json=base | {"early_access_tier": "platinum", "early_access_until": LAUNCH.isoformat()},
        headers=shop.headers,
    )
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "early_access_tier")
    half = client.post(
        f"{API}/rewards", json=base | {"early_access_tier": "gold"}, headers=shop.headers
    )
    assert half.status_code == 422
    assert client.get(f"{API}/rewards", headers=shop.headers).json() == []

"""The tier object says what the customer's tier gives and what the next one adds."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.db import Database
from tests.checkout.test_checkout_api import put_program, sale
from tests.factories import make_customer, make_merchant

API = "/api/v1"


def test_loyalty_summary_names_the_perks_of_this_tier_and_the_next(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    program = client.get(f"{API}/program", headers=shop.headers).json()["program"]
    program["tiers"]["levels"] = [
        {"code": "silver", "name": "Silver", "min_spend": 0, "perks": "Free water"},
        {"code": "gold", "name": "Gold", "min_spend": 100000, "multiplier": 150,
         "perks": "Free delivery", "names": {"ms": "Emas"}, "perks_i18n": {"ms": "Hantar percuma"}},
        {"code": "vip", "name": "VIP", "min_spend": 500000, "multiplier": 200},
    ]  # fmt: skip
    put_program(client, shop, program)
    mya = str(make_customer(db, shop, phone="09 7812 34567").id)
    r = client.post(
        f"{API}/checkout",
        json=sale("R-1", {"id": mya}, ("CAKE", "cakes", 3, 5000)),
        headers=shop.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["tier"]["next_perks"] == "Free delivery"
    tier = client.get(f"{API}/customers/{mya}/loyalty", headers=shop.headers).json()["tier"]
    assert tier == {
        "code": "silver",
        "name": "Silver",
        "multiplier": 100,
        "perks": "Free water",
        "qualifying_spend": 15000,
        "next_code": "gold",
        "next_name": "Gold",
        "next_multiplier": 150,
        "next_perks": "Free delivery",
        "spend_to_next": 85000,
        "names": {},
        "perks_i18n": {},
        "next_names": {"ms": "Emas"},
        "next_perks_i18n": {"ms": "Hantar percuma"},
    }

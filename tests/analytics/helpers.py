"""A small shop with a known history, built through the real checkout (sales earn points)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from regulars.db import Database
from regulars.kit import clock
from tests.factories import Shop, make_customer, make_merchant

API = "/api/v1"
YANGON = ZoneInfo("Asia/Yangon")
NOW = datetime(2026, 6, 30, 12, 0, tzinfo=YANGON)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=YANGON)


@dataclass
class History:
    shop: Shop
    people: dict[str, uuid.UUID]


def sell(client: TestClient, shop: Shop, when: datetime, total: int, who: uuid.UUID | None) -> None:
    body: dict[str, Any] = {
        "receipt_id": f"R-{uuid.uuid4().hex[:10]}",
        "lines": [{"sku": "CAKE", "name": "Cake", "category": "cakes", "quantity": 1,
                   "unit_price": total}],
    }  # fmt: skip
    if who is not None:
        body["customer"] = {"id": str(who)}
    with clock.frozen(when):
        r = client.post(f"{API}/checkout", json=body, headers=shop.headers)
    assert r.status_code == 201, r.text


# Who bought what, when (Yangon days). The 30 days to 2026-06-30 are the period.
SALES = [
    ("A", "2026-03-01", 10_000),
    ("A", "2026-06-10", 20_000),
    ("B", "2026-06-05", 5_000),
    ("B", "2026-06-20", 7_000),
    ("C", "2026-06-15", 3_000),
    ("D", "2026-04-15", 8_000),
    ("E", "2025-12-01", 4_000),
    (None, "2026-06-12", 6_000),
    (None, "2026-06-25", 2_000),
    (None, "2026-05-10", 1_000),
]


def history(client: TestClient, db: Database) -> History:
    shop = make_merchant(db)
    with clock.frozen(at("2025-11-01")):
        people = {k: make_customer(db, shop, name=f"Customer {k}").id for k in "ABCDE"}
    for who, day, total in SALES:
        sell(client, shop, at(day), total, people[who] if who else None)
    with clock.frozen(at("2026-06-01")):
        reward = client.post(
            f"{API}/rewards",
            json={"name": "Cake slice", "kind": "amount_off", "cost_points": 10, "amount": 100},
            headers=shop.headers,
        ).json()
    with clock.frozen(at("2026-06-21")):
        r = client.post(
            f"{API}/customers/{people['A']}/redemptions",
            json={"reward_id": reward["id"]},
            headers=shop.headers,
        )
        assert r.status_code == 201, r.text
    return History(shop, people)

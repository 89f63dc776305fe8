"""Shared set-up for the events and clubs tests: a program with tiers, a member made Gold by a
real sale, an event through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from regulars.checkout import service as checkout
from regulars.checkout.schemas import CheckoutIn
from regulars.db import Database
from regulars.kit import clock
from regulars.loyalty import service as loyalty
from regulars.loyalty.program import Program, Tier, Tiers
from tests.factories import Shop

API = "/api/v1"
TIERS = Program(
    tiers=Tiers(
        levels=[
            Tier(code="member", name="Member", min_spend=0),
            Tier(code="gold", name="Gold", min_spend=100_000, multiplier=150),
        ]
    )
)


def with_tiers(db: Database, shop: Shop) -> None:
    db.run(lambda s: loyalty.save_program(s, shop.ctx, TIERS))


def buy(db: Database, shop: Shop, customer_id: Any, amount: int, receipt: str) -> dict[str, Any]:
    body = CheckoutIn.model_validate(
        {
            "receipt_id": receipt,
            "customer": {"id": str(customer_id)},
            "lines": [{"sku": "CAKE", "category": "cakes", "quantity": 1, "unit_price": amount}],
        }
    )
    result, _replayed = db.run(lambda s: checkout.commit(s, shop.ctx, body))
    return dict(result)


def make_gold(db: Database, shop: Shop, customer_id: Any) -> None:
    buy(db, shop, customer_id, 100_000, f"GOLD-{customer_id}")


def soon(days: int = 7) -> str:
    return (clock.now() + timedelta(days=days)).astimezone(UTC).isoformat()


def create_event(client: TestClient, shop: Shop, **fields: Any) -> dict[str, Any]:
    body = {"name": "Christmas tasting", "starts_at": soon(), "capacity": 30} | fields
    r = client.post(f"{API}/events", json=body, headers=shop.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))

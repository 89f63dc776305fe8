"""Shared set-up for the payment-plan tests: an offer through the API, a customer with visits."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from regulars.checkout import service as checkout
from regulars.checkout.schemas import CheckoutIn
from regulars.db import Database
from tests.factories import Shop

API = "/api/v1"
OFFER = {
    "name": "Phone in 12",
    "installments": 12,
    "interval_months": 1,
    "down_payment_percent": 10,
    "fee": 5_000,
    "min_price": 100_000,
    "max_price": 5_000_000,
    "min_visits": 2,
}


def buy(db: Database, shop: Shop, customer_id: Any, amount: int, receipt: str) -> None:
    body = CheckoutIn.model_validate(
        {
            "receipt_id": receipt,
            "customer": {"id": str(customer_id)},
            "lines": [{"sku": "CASE", "quantity": 1, "unit_price": amount}],
        }
    )
    db.run(lambda s: checkout.commit(s, shop.ctx, body))


def regular(db: Database, shop: Shop, customer_id: Any, visits: int = 2) -> None:
    for i in range(visits):
        buy(db, shop, customer_id, 20_000, f"R-{customer_id}-{i}")


def create_offer(client: TestClient, shop: Shop, **fields: Any) -> dict[str, Any]:
    r = client.post(f"{API}/payment-plan-offers", json=OFFER | fields, headers=shop.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def create_plan(
    client: TestClient, shop: Shop, customer_id: Any, offer_id: Any, **fields: Any
) -> dict[str, Any]:
    body = {
        "customer_id": str(customer_id),
        "offer_id": str(offer_id),
        "principal": 1_200_000,
        "first_due": "2026-01-31",
    } | fields
    r = client.post(f"{API}/payment-plans", json=body, headers=shop.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def pay(client: TestClient, shop: Shop, plan_id: Any, payment_id: str, amount: int) -> Any:
    return client.post(
        f"{API}/payment-plans/{plan_id}/payments",
        json={"payment_id": payment_id, "amount": amount},
        headers=shop.headers,
    )

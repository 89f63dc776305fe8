from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories import Shop

API = "/api/v1"


def campaign(client: TestClient, shop: Shop, **fields: Any) -> dict[str, Any]:
    body = {"name": "Ten off", "kind": "percent_off", "value": 10} | fields
    r = client.post(f"{API}/coupon-campaigns", json=body, headers=shop.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def codes(client: TestClient, shop: Shop, campaign_id: str, count: int) -> list[str]:
    r = client.post(
        f"{API}/coupon-campaigns/{campaign_id}/codes", json={"count": count}, headers=shop.headers
    )
    assert r.status_code == 201, r.text
    csv = client.get(f"{API}/coupon-campaigns/{campaign_id}/codes.csv", headers=shop.headers)
    assert csv.status_code == 200
    rows = csv.text.splitlines()[1:]
    return [row.split(",")[0] for row in rows]


def sale(receipt: str, *lines: tuple[str, str, int, int], **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "receipt_id": receipt,
        "lines": [
            {"sku": sku, "name": sku.title(), "category": cat, "quantity": qty, "unit_price": price}
            for sku, cat, qty, price in lines
        ],
    }
    return body | extra

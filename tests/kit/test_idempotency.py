"""Idempotency-Key on any API write (RELIABILITY test 2)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from regulars.db import Database
from tests.factories import make_customer, make_merchant

API = "/api/v1"


def test_same_key_same_body_replays_and_creates_once(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    headers = shop.headers | {"Idempotency-Key": "create-aung-1"}
    body = {"name": "Aung Aung", "phone": "09 7812 34567"}
    first = client.post(f"{API}/customers", json=body, headers=headers)
    assert first.status_code == 201
    again = client.post(f"{API}/customers", json=body, headers=headers)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    listed = client.get(f"{API}/customers", headers=shop.headers).json()["data"]
    assert len(listed) == 1


def test_same_key_other_body_is_422(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    headers = shop.headers | {"Idempotency-Key": "k-1"}
    client.post(f"{API}/customers", json={"name": "A"}, headers=headers)
    r = client.post(f"{API}/customers", json={"name": "B"}, headers=headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "Idempotency-Key"
    assert len(client.get(f"{API}/customers", headers=shop.headers).json()["data"]) == 1


def test_a_failed_request_does_not_burn_the_key(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, phone="09 7812 34567")
    headers = shop.headers | {"Idempotency-Key": "k-2"}
    dup = client.post(f"{API}/customers", json={"phone": "09 7812 34567"}, headers=headers)
    assert dup.status_code == 409
    ok = client.post(f"{API}/customers", json={"phone": "09 7812 34567"}, headers=headers)
    assert ok.status_code == 409  # same request, same answer: it was never applied
    assert "Idempotent-Replayed" not in ok.headers


def test_keys_belong_to_one_merchant(client: TestClient, db: Database) -> None:
    a, b = make_merchant(db, name="A"), make_merchant(db, name="B")
    body = {"name": "Same"}
    ra = client.post(f"{API}/customers", json=body, headers=a.headers | {"Idempotency-Key": "x"})
    rb = client.post(f"{API}/customers", json=body, headers=b.headers | {"Idempotency-Key": "x"})
    assert ra.status_code == rb.status_code == 201
    assert "Idempotent-Replayed" not in rb.headers and ra.json()["id"] != rb.json()["id"]


def test_100_requests_with_one_key_in_concurrent_waves_make_one_effect(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    url = f"{API}/customers/{cust.id}/adjustments"
    headers = shop.headers | {"Idempotency-Key": "bonus-2026-11"}
    barrier = threading.Barrier(20)

    def call(_i: int) -> int:
        barrier.wait()
        return client.post(
            url, json={"points": 25, "reason": "apology"}, headers=headers
        ).status_code

    statuses: list[int] = []
    with ThreadPoolExecutor(max_workers=20) as pool:
        for _round in range(5):
            statuses += list(pool.map(call, range(20)))
    assert len(statuses) == 100
    assert set(statuses) <= {201, 409}
    ledger = client.get(f"{API}/customers/{cust.id}/ledger", headers=shop.headers).json()["data"]
    assert [e["points"] for e in ledger] == [25]

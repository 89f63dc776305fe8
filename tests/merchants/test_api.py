"""The merchant API: keys shown once, staff and stores, every change in the audit log."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars.db import Database
from regulars.merchants.models import ApiKey
from tests.factories import Shop, make_merchant


@pytest.fixture
def shop(db: Database) -> Shop:
    return make_merchant(db)


def actions(client: TestClient, shop: Shop) -> list[str]:
    events = client.get("/api/v1/audit-events", headers=shop.headers).json()["data"]
    return [e["action"] for e in events]  # newest first


def test_a_new_key_is_shown_once_and_stored_hashed(
    client: TestClient, db: Database, shop: Shop
) -> None:
    r = client.post(
        "/api/v1/api-keys", json={"name": "till 2", "role": "cashier"}, headers=shop.headers
    )
    assert r.status_code == 201, r.text
    created = r.json()
    secret = created["key"]
    assert secret.startswith(created["prefix"] + "_")
    listed = client.get("/api/v1/api-keys", headers=shop.headers)
    assert secret not in listed.text
    assert all("key" not in k for k in listed.json()["data"])
    assert {k["name"] for k in listed.json()["data"]} == {"owner key", "till 2"}
    with db.session(write=False) as s:
        stored = s.scalar(select(ApiKey.key_hash).where(ApiKey.prefix == created["prefix"]))
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    me = client.get("/api/v1/customers", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200
    assert actions(client, shop)[0] == "api_key.created"


def test_revoking_a_key_is_audited_and_final(client: TestClient, db: Database, shop: Shop) -> None:
    created = client.post(
        "/api/v1/api-keys", json={"name": "old till"}, headers=shop.headers
    ).json()
    assert created["role"] == "cashier"  # the least privilege is the default
    r = client.delete(f"/api/v1/api-keys/{created['id']}", headers=shop.headers)
    assert r.status_code == 200
    assert r.json()["revoked_at"] is not None
    assert "key" not in r.json()
    assert (
        client.get(
            "/api/v1/customers", headers={"Authorization": f"Bearer {created['key']}"}
        ).status_code
        == 401
    )
    assert actions(client, shop)[:2] == ["api_key.revoked", "api_key.created"]


def test_staff_and_stores_are_created_and_audited(client: TestClient, shop: Shop) -> None:
    staff = client.post(
        "/api/v1/staff",
        json={
            "email": "ma.hla@example.com",
            "name": "Ma Hla",
            "role": "cashier",
            "password": "long enough 1",
        },
        headers=shop.headers,
    )
    assert staff.status_code == 201, staff.text
    assert "password" not in staff.text
    store = client.post(
        "/api/v1/stores", json={"code": "dt", "name": "Downtown"}, headers=shop.headers
    )
    assert store.json()["code"] == "DT"
    assert actions(client, shop)[:2] == ["store.created", "staff.created"]
    again = client.post(
        "/api/v1/stores", json={"code": "DT", "name": "Again"}, headers=shop.headers
    )
    assert again.status_code == 409
    assert [s["code"] for s in client.get("/api/v1/stores", headers=shop.headers).json()] == [
        "DT",
        "MAIN",
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"email": "no-at-sign", "name": "X", "role": "cashier", "password": "long enough 1"},
            "email",
        ),
        (
            {"email": "x@example.com", "name": "X", "role": "admin", "password": "long enough 1"},
            "role",
        ),
        (
            {"email": "x@example.com", "name": "X", "role": "cashier", "password": "short"},
            "password",
        ),
    ],
)
def test_bad_staff_is_422_naming_the_field(
    client: TestClient, shop: Shop, body: dict[str, str], field: str
) -> None:
    r = client.post("/api/v1/staff", json=body, headers=shop.headers)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert len(client.get("/api/v1/staff", headers=shop.headers).json()) == 1


def test_audit_log_pages_newest_first(client: TestClient, shop: Shop) -> None:
    for i in range(3):
        client.post(
            "/api/v1/stores", json={"code": f"S{i}", "name": f"Store {i}"}, headers=shop.headers
        )
    first = client.get("/api/v1/audit-events", params={"limit": 4}, headers=shop.headers).json()
    rest = client.get(
        "/api/v1/audit-events",
        params={"limit": 50, "cursor": first["next_cursor"]},
        headers=shop.headers,
    ).json()
    every = [e["action"] for e in first["data"] + rest["data"]]
    assert every == ["store.created"] * 3 + [
        "merchant.created",
        "api_key.created",
        "staff.created",
        "store.created",
    ]
    assert rest["next_cursor"] is None

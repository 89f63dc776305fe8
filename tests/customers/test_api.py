from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.db import Database
from tests.factories import make_customer, make_merchant


def test_create_then_find_by_local_phone_formats(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    r = client.post(
        "/api/v1/customers",
        json={"name": "ဒေါ်မြမြ", "phone": "09 7812 34567", "consent": {"sms": True}},
        headers=shop.headers,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["phone"] == "+959781234567"
    assert body["consent"]["sms"]["granted"] is True
    for typed in ("09 7812 34567", "+95 9 7812 34567", "959781234567", "၀၉၇၈၁၂၃၄၅၆၇"):
        found = client.get(
            "/api/v1/customers/lookup", params={"phone": typed}, headers=shop.headers
        )
        assert found.status_code == 200, typed
        assert found.json()["id"] == body["id"]


def test_duplicate_phone_is_409_and_writes_nothing(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, phone="09 7812 34567")
    r = client.post(
        "/api/v1/customers", json={"name": "Other", "phone": "+959781234567"}, headers=shop.headers
    )
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    listed = client.get("/api/v1/customers", headers=shop.headers).json()
    assert len(listed["data"]) == 1


def test_bad_phone_is_422_naming_the_field(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    r = client.post("/api/v1/customers", json={"phone": "12"}, headers=shop.headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "phone"

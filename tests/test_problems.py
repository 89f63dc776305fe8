"""Every error is RFC 9457 problem+json naming the field; mass assignment is refused."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars.customers.models import Customer
from regulars.db import Database
from tests.factories import Shop, make_customer, make_merchant

PROBLEM = "application/problem+json"


def assert_problem(r: Any, status: int, slug: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    assert set(body) == {"type", "title", "status", "detail", "errors"}
    assert (body["type"], body["status"]) == (f"/problems/{slug}", status)
    assert body["title"] and body["detail"]
    return body


@pytest.fixture
def shop(db: Database) -> Shop:
    return make_merchant(db)


def test_unknown_route_is_404_problem(client: TestClient, shop: Shop) -> None:
    r = client.get("/api/v1/nothing-here", headers=shop.headers)
    body = assert_problem(r, 404, "not-found")
    assert body["errors"] == []


def test_unknown_customer_is_404_problem(client: TestClient, shop: Shop) -> None:
    r = client.get("/api/v1/customers/01234567-89ab-7def-8123-456789abcdef", headers=shop.headers)
    assert assert_problem(r, 404, "not-found")["detail"] == "customer not found"


def test_wrong_method_is_405_problem_with_allow(client: TestClient, shop: Shop) -> None:
    r = client.put("/api/v1/customers", json={}, headers=shop.headers)
    assert_problem(r, 405, "method-not-allowed")
    # Starlette names the methods of the first route with this path (here POST /customers).
    assert set(r.headers["allow"].replace(" ", "").split(",")) <= {"GET", "POST"}


def test_malformed_json_is_422_problem(client: TestClient, db: Database, shop: Shop) -> None:
    r = client.post(
        "/api/v1/customers",
        content=b'{"name": "Ma Ma",',
        headers={**shop.headers, "Content-Type": "application/json"},
    )
    body = assert_problem(r, 422, "invalid-field")
    assert body["errors"] and body["errors"][0]["message"]
    assert _count(db) == 0


def test_bad_field_is_422_naming_the_field(client: TestClient, db: Database, shop: Shop) -> None:
    r = client.post(
        "/api/v1/customers", json={"name": "Ma Ma", "birthday": "31-12-1990"}, headers=shop.headers
    )
    body = assert_problem(r, 422, "invalid-field")
    assert [e["field"] for e in body["errors"]] == ["birthday"]
    assert "birthday" in body["detail"]
    assert _count(db) == 0


def test_domain_rule_is_422_naming_the_field(client: TestClient, db: Database, shop: Shop) -> None:
    r = client.post("/api/v1/customers", json={"email": "not an email"}, headers=shop.headers)
    body = assert_problem(r, 422, "invalid-field")
    assert [e["field"] for e in body["errors"]] == ["email"]
    assert _count(db) == 0


def test_bad_query_parameter_is_422_naming_it(client: TestClient, shop: Shop) -> None:
    r = client.get("/api/v1/customers", params={"limit": "lots"}, headers=shop.headers)
    assert [e["field"] for e in assert_problem(r, 422, "invalid-field")["errors"]] == ["limit"]
    r = client.get("/api/v1/customers", params={"cursor": "!!"}, headers=shop.headers)
    assert [e["field"] for e in assert_problem(r, 422, "invalid-field")["errors"]] == ["cursor"]


def test_bad_path_id_is_422_naming_it(client: TestClient, shop: Shop) -> None:
    r = client.get("/api/v1/customers/not-a-uuid", headers=shop.headers)
    assert [e["field"] for e in assert_problem(r, 422, "invalid-field")["errors"]] == [
        "customer_id"
    ]


def test_conflict_is_409_problem(client: TestClient, db: Database, shop: Shop) -> None:
    make_customer(db, shop, email="mya@example.com")
    r = client.post("/api/v1/customers", json={"email": "MYA@example.com"}, headers=shop.headers)
    assert assert_problem(r, 409, "conflict")["errors"] == [{"field": "email", "message": "taken"}]
    assert _count(db) == 1


# --- mass assignment (RELIABILITY 13) --------------------------------------------------------

FORBIDDEN_FIELDS: list[tuple[str, Any]] = [
    ("merchant_id", "01234567-89ab-7def-8123-456789abcdef"),
    ("id", "01234567-89ab-7def-8123-456789abcdef"),
    ("member_code", "AAAAAAAA"),
    ("points_balance", 1_000_000),
    ("role", "owner"),
    ("tier", "gold"),
    ("created_at", "2000-01-01T00:00:00Z"),
    ("erased_at", None),
    ("name_search", "x"),
]


def _count(db: Database) -> int:
    with db.engine.connect() as conn:
        return len(conn.execute(select(Customer.id)).all())


def _row(db: Database) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(Customer.__table__))]


@pytest.mark.parametrize(("field", "value"), FORBIDDEN_FIELDS)
def test_patch_with_a_protected_field_is_422_and_changes_nothing(
    client: TestClient, db: Database, shop: Shop, field: str, value: Any
) -> None:
    customer = make_customer(db, shop, name="Ko Aung")
    before = _row(db)
    r = client.patch(
        f"/api/v1/customers/{customer.id}",
        json={"name": "Changed", field: value},
        headers=shop.headers,
    )
    body = assert_problem(r, 422, "invalid-field")
    assert [e["field"] for e in body["errors"]] == [field]
    assert _row(db) == before


@pytest.mark.parametrize(("field", "value"), FORBIDDEN_FIELDS)
def test_post_with_a_protected_field_is_422_and_writes_nothing(
    client: TestClient, db: Database, shop: Shop, field: str, value: Any
) -> None:
    r = client.post(
        "/api/v1/customers", json={"name": "Ko Aung", field: value}, headers=shop.headers
    )
    body = assert_problem(r, 422, "invalid-field")
    assert [e["field"] for e in body["errors"]] == [field]
    assert _count(db) == 0


def test_api_key_role_cannot_be_smuggled_into_staff_or_stores(
    client: TestClient, db: Database, shop: Shop
) -> None:
    r = client.post(
        "/api/v1/stores",
        json={"code": "S2", "name": "Branch", "merchant_id": "x"},
        headers=shop.headers,
    )
    assert [e["field"] for e in assert_problem(r, 422, "invalid-field")["errors"]] == [
        "merchant_id"
    ]
    stores = client.get("/api/v1/stores", headers=shop.headers).json()
    assert [s["code"] for s in stores] == ["MAIN"]

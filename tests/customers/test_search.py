"""`GET /api/v1/customers?q=` finds people however their name was typed, and only the caller's."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars.customers.models import Customer
from regulars.db import Database
from tests.factories import Shop, make_customer, make_merchant

ZAWGYI_NAME = "မင္းေအာင္"
UNICODE_NAME = "မင်းအောင်"


def names(client: TestClient, shop: Shop, q: str) -> list[str]:
    r = client.get("/api/v1/customers", params={"q": q}, headers=shop.headers)
    assert r.status_code == 200, r.text
    return sorted(c["name"] for c in r.json()["data"])


@pytest.fixture
def shop(db: Database) -> Shop:
    shop = make_merchant(db)
    for name, extra in [
        ("ဒေါ်မြမြ", {"phone": "09 7812 34567"}),
        ("မောင်မောင်ကျော်", {}),
        ("ສົມສັກ ພົມມະຈັນ", {}),
        ("علی رضا", {}),
        ("کریم خان", {}),
        ("José Ramos", {"email": "Jose.Ramos@Example.com"}),
        ("Tan Ah Kow", {}),
    ]:
        make_customer(db, shop, name=name, **extra)
    return shop


def test_zawgyi_name_is_stored_as_unicode_and_found_by_both_spellings(
    client: TestClient, db: Database, shop: Shop
) -> None:
    r = client.post("/api/v1/customers", json={"name": ZAWGYI_NAME}, headers=shop.headers)
    assert r.status_code == 201, r.text
    assert r.json()["name"] == UNICODE_NAME
    with db.engine.connect() as conn:
        stored = conn.execute(
            select(Customer.name).where(Customer.id == uuid.UUID(r.json()["id"]))
        ).scalar_one()
    assert stored == UNICODE_NAME
    assert names(client, shop, UNICODE_NAME) == [UNICODE_NAME]
    assert names(client, shop, ZAWGYI_NAME) == [UNICODE_NAME]
    assert names(client, shop, "ေအာင္") == [UNICODE_NAME]  # a Zawgyi substring


def test_unicode_burmese_name_is_stored_as_typed(client: TestClient, shop: Shop) -> None:
    r = client.post("/api/v1/customers", json={"name": UNICODE_NAME}, headers=shop.headers)
    assert r.json()["name"] == UNICODE_NAME


SCRIPT_CASES = [
    ("မြမြ", ["ဒေါ်မြမြ"]),  # Burmese substring
    ("ကျော်", ["မောင်မောင်ကျော်"]),
    ("ພົມມະຈັນ", ["ສົມສັກ ພົມມະຈັນ"]),  # Lao family name
    ("ສົມສັກ", ["ສົມສັກ ພົມມະຈັນ"]),
    ("علي", ["علی رضا"]),  # Arabic yeh typed, Farsi yeh stored
    ("كريم", ["کریم خان"]),  # Arabic kaf typed, keheh stored
    ("jose", ["José Ramos"]),
    ("JOSÉ ramos", ["José Ramos"]),
    ("ah kow", ["Tan Ah Kow"]),
    ("jose.ramos@example.com", ["José Ramos"]),
    ("JOSE.RAMOS@EXAMPLE.COM", ["José Ramos"]),
    ("09 7812 34567", ["ဒေါ်မြမြ"]),
    ("၀၉ ၇၈၁၂ ၃၄၅၆၇", ["ဒေါ်မြမြ"]),
    ("+959781234567", ["ဒေါ်မြမြ"]),
    ("Nobody", []),
    ("%", []),
    ("_", []),
]


def test_search_finds_names_in_every_script(client: TestClient, shop: Shop) -> None:
    found = {q: names(client, shop, q) for q, _expected in SCRIPT_CASES}
    assert found == dict(SCRIPT_CASES)


def test_member_code_typed_lower_case_with_a_dash(
    client: TestClient, db: Database, shop: Shop
) -> None:
    customer = make_customer(db, shop, name="Daw Khin")
    code = customer.member_code
    typed = f"{code[:4]}-{code[4:]}".lower()
    assert names(client, shop, typed) == ["Daw Khin"]
    found = client.get("/api/v1/customers/lookup", params={"code": typed}, headers=shop.headers)
    assert found.status_code == 200
    assert found.json()["id"] == str(customer.id)


def test_empty_query_lists_everyone(client: TestClient, shop: Shop) -> None:
    assert len(names(client, shop, "  ")) == 7


def test_search_never_crosses_merchants(client: TestClient, db: Database, shop: Shop) -> None:
    other = make_merchant(
        db, name="KL Kopi", country="MY", currency="MYR", timezone="Asia/Kuala_Lumpur", locale="ms"
    )
    theirs = make_customer(
        db, other, name="José Ramos", phone="012-345 6789", email="jose.ramos@example.com"
    )
    mine = client.get("/api/v1/customers", params={"q": "jose"}, headers=shop.headers).json()
    assert str(theirs.id) not in {c["id"] for c in mine["data"]}
    assert len(mine["data"]) == 1
    for q in ("012-345 6789", "+60123456789", theirs.member_code, "jose.ramos@example.com"):
        r = client.get("/api/v1/customers", params={"q": q}, headers=shop.headers)
        assert str(theirs.id) not in r.text, q
    theirs_found = client.get("/api/v1/customers", params={"q": "jose"}, headers=other.headers)
    assert [c["id"] for c in theirs_found.json()["data"]] == [str(theirs.id)]


def test_search_pages_with_a_cursor(client: TestClient, db: Database, shop: Shop) -> None:
    for i in range(5):
        make_customer(db, shop, name=f"Ko Min {i}")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"q": "ko min", "limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/customers", params=params, headers=shop.headers).json()
        seen += [c["name"] for c in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"Ko Min {i}" for i in range(5)]
    assert len(seen) == 5

"""Export gives a person everything we hold; erasure leaves nothing of them but an id.

Canary values are unusual enough that finding one anywhere (a column, a JSON blob, a log line)
can only mean it leaked.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars.customers.models import Customer
from regulars.db import Database
from regulars.kit.logging import JsonFormatter
from regulars.models import metadata
from tests.factories import Shop, make_merchant

CANARY = {
    "name": "Canarysan Zawphyu",
    "phone": "09 7812 99871",
    "email": "canary.zawphyu@example.org",
    "birthday": "1991-04-17",
    "anniversary": "2015-11-02",
    "locale": "my",
    "tags": ["canary-tag"],
    "attributes": {"plate": "YGN-CANARY-77", "vehicle": "Hilux"},
    "consent": {"sms": True, "email": False},
}
PHONE_E164 = "+959781299871"
PHONE_FORMS = (PHONE_E164, "959781299871", "9781299871", "09781299871", "7812 99871")
CLIENT_SIDE = ("httpx", "httpcore")
NOTE = "Canary note: prefers the window seat"


def every_value_in_the_database(db: Database) -> str:
    """All rows of all tables as one lower-cased text (JSON columns serialized)."""
    parts: list[str] = []
    with db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                parts.extend(json.dumps(v, default=str, ensure_ascii=False) for v in row)
    return "\n".join(parts).lower()


def canaries(member_code: str) -> list[str]:
    """What the database holds about the canary, as stored (E.164 phone, lower-case email)."""
    return [
        "canarysan",
        "zawphyu",
        CANARY["email"],
        PHONE_E164,
        "canary-tag",
        "ygn-canary-77",
        "canary note",
        "1991-04-17",
        "2015-11-02",
        member_code.lower(),
    ]


@pytest.fixture
def shop(db: Database) -> Shop:
    return make_merchant(db)


@pytest.fixture
def member(client: TestClient, shop: Shop) -> dict[str, Any]:
    r = client.post("/api/v1/customers", json=CANARY, headers=shop.headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    note = client.post(
        f"/api/v1/customers/{body['id']}/notes", json={"body": NOTE}, headers=shop.headers
    )
    assert note.status_code == 201
    return body


def test_export_returns_every_stored_personal_field(
    client: TestClient, shop: Shop, member: dict[str, Any]
) -> None:
    r = client.get(f"/api/v1/customers/{member['id']}/export", headers=shop.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    person = body["customer"]
    assert {
        k: person[k]
        for k in ("name", "email", "birthday", "anniversary", "locale", "tags", "attributes")
    } == {
        k: CANARY[k]
        for k in ("name", "email", "birthday", "anniversary", "locale", "tags", "attributes")
    }
    assert person["phone"] == PHONE_E164
    assert person["member_code"] == member["member_code"]
    assert {ch: c["granted"] for ch, c in person["consent"].items()} == CANARY["consent"]
    assert [n["body"] for n in body["notes"]] == [NOTE]
    actions = [e["action"] for e in body["audit"]]
    assert actions[0] == "customer.created"
    assert "customer.note_added" in actions
    assert body["exported_at"]


def test_every_customer_column_is_in_the_export(
    client: TestClient, shop: Shop, member: dict[str, Any]
) -> None:
    """A column added to customers later must reach the export too (or be named here)."""
    # merged_into_id is set only on an erased row, which is never exported
    internal = {"merchant_id", "name_search", "source", "erased_at", "merged_into_id"}
    exported = client.get(f"/api/v1/customers/{member['id']}/export", headers=shop.headers).json()[
        "customer"
    ]
    columns = {c.name for c in Customer.__table__.columns}
    assert columns - internal <= set(exported)


def test_export_is_audited(client: TestClient, shop: Shop, member: dict[str, Any]) -> None:
    client.get(f"/api/v1/customers/{member['id']}/export", headers=shop.headers)
    events = client.get("/api/v1/audit-events", headers=shop.headers).json()["data"]
    exported = [e for e in events if e["action"] == "customer.exported"]
    assert len(exported) == 1
    assert exported[0]["entity_id"] == member["id"]
    assert exported[0]["actor_type"] == "api_key"


@pytest.mark.parametrize(("method", "suffix"), [("GET", "/export"), ("DELETE", "")])
def test_a_cashier_key_cannot_export_or_erase(
    client: TestClient, db: Database, shop: Shop, member: dict[str, Any], method: str, suffix: str
) -> None:
    till = shop.key_for(db, "cashier")
    r = client.request(method, f"/api/v1/customers/{member['id']}{suffix}", headers=till)
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert "canary" not in r.text.lower()
    still = client.get(f"/api/v1/customers/{member['id']}", headers=shop.headers)
    assert still.json()["name"] == CANARY["name"]
    events = client.get("/api/v1/audit-events", headers=shop.headers).json()["data"]
    assert not [e for e in events if e["action"] in ("customer.exported", "customer.erased")]


def test_erasure_leaves_no_trace_of_the_person(
    client: TestClient, db: Database, shop: Shop, member: dict[str, Any]
) -> None:
    dump = every_value_in_the_database(db)
    assert all(c in dump for c in canaries(member["member_code"]))  # the scan can see them

    r = client.delete(f"/api/v1/customers/{member['id']}", headers=shop.headers)
    assert r.status_code == 204

    dump = every_value_in_the_database(db)
    found = [c for c in (*canaries(member["member_code"]), *PHONE_FORMS) if c in dump]
    assert found == []
    assert client.get(f"/api/v1/customers/{member['id']}", headers=shop.headers).status_code == 404
    old_code = client.get(
        "/api/v1/customers/lookup", params={"code": member["member_code"]}, headers=shop.headers
    )
    assert old_code.status_code == 404
    by_phone = client.get(
        "/api/v1/customers/lookup", params={"phone": CANARY["phone"]}, headers=shop.headers
    )
    assert by_phone.status_code == 404
    assert client.get("/api/v1/customers", headers=shop.headers).json()["data"] == []
    again = client.delete(f"/api/v1/customers/{member['id']}", headers=shop.headers)
    assert again.status_code == 404

    with db.engine.connect() as conn:
        row = (
            conn.execute(select(Customer.__table__).where(Customer.id == uuid.UUID(member["id"])))
            .one()
            ._mapping
        )
    assert row["erased_at"] is not None
    assert (row["name"], row["phone"], row["email"], row["birthday"]) == (None,) * 4
    assert (row["tags"], row["attributes"], row["name_search"]) == ([], {}, "")
    assert row["member_code"] != member["member_code"]


def test_the_phone_of_an_erased_customer_can_join_again(
    client: TestClient, shop: Shop, member: dict[str, Any]
) -> None:
    client.delete(f"/api/v1/customers/{member['id']}", headers=shop.headers)
    r = client.post("/api/v1/customers", json={"phone": CANARY["phone"]}, headers=shop.headers)
    assert r.status_code == 201, r.text
    assert r.json()["id"] != member["id"]


def test_logs_hold_no_phone_email_or_member_code(
    client: TestClient, shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.handler.setFormatter(JsonFormatter())
    r = client.post("/api/v1/customers", json=CANARY, headers=shop.headers)
    customer_id, code = r.json()["id"], r.json()["member_code"]
    h = shop.headers
    client.get("/api/v1/customers/lookup", params={"phone": CANARY["phone"]}, headers=h)
    client.get("/api/v1/customers/lookup", params={"code": code}, headers=h)
    client.get("/api/v1/customers", params={"q": CANARY["email"]}, headers=h)
    client.get("/api/v1/customers", params={"q": CANARY["name"]}, headers=h)
    client.post("/api/v1/customers", json={"phone": CANARY["phone"]}, headers=h)  # 409
    client.post("/api/v1/customers", json={"email": "canary.zawphyu@"}, headers=h)  # 422
    client.patch(f"/api/v1/customers/{customer_id}", json={"email": CANARY["email"]}, headers=h)
    client.get(f"/api/v1/customers/{customer_id}/export", headers=h)
    client.get(f"/api/v1/customers/{customer_id}/qr.svg", headers=h)
    client.delete(f"/api/v1/customers/{customer_id}", headers=h)
    # httpx logs the test client's own request lines; the server never sees those.
    lines = "\n".join(
        caplog.handler.format(r) for r in caplog.records if not r.name.startswith(CLIENT_SIDE)
    )
    assert '"logger": "regulars.access"' in lines  # requests were logged, in JSON
    leaked = [c for c in (*PHONE_FORMS, CANARY["email"], code, "canarysan") if c in lines.lower()]
    assert leaked == []

"""Invariant 1 over HTTP: merchant A's keys can neither read nor change merchant B's data.

The matrix is built from the app's own routes, so a route added later is covered without editing
this file; a route whose path parameter has no object of B's to point at fails the test until the
map below learns about it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars.analytics import service as analytics
from regulars.customers import service as customers
from regulars.customers.models import ImportJob
from regulars.customers.schemas import NoteCreate
from regulars.db import Database
from regulars.kit.pagination import PageRequest
from regulars.merchants import service as merchants
from regulars.merchants.schemas import ApiKeyCreate, StoreCreate
from regulars.messaging import outbox
from regulars.models import metadata
from tests.factories import Shop, make_customer, make_merchant

PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")
# Path parameters that name something every merchant has its own of (a message kind, a language,
# a product SKU), not an object id: such routes are checked like routes without ids.
NAMES = {"kind": "birthday", "locale": "en", "sku": "B-R-1", "channel": "telegram"}
OWNER_ONLY = [
    ("GET", "/api/v1/api-keys"),
    ("POST", "/api/v1/api-keys"),
    ("POST", "/api/v1/staff"),
]
MANAGER_ONLY = [
    ("GET", "/api/v1/staff"),
    ("GET", "/api/v1/audit-events"),
    ("POST", "/api/v1/stores"),
]


@dataclass
class Victim:
    shop: Shop
    ids: dict[str, uuid.UUID]
    member_code: str
    secrets: list[str]  # strings of B's that must never reach A


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every /api/v1 route, through included routers."""
    found = set()
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if path.startswith("/api/v1"):
            found.update((m, path) for m in (route.methods or ()) if m != "HEAD")
    return sorted(found, key=lambda mp: (mp[1], mp[0]))


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rpartition("/")[2]]
    return schema


def minimal(doc: dict[str, Any], schema: dict[str, Any]) -> Any:
    """The smallest instance that satisfies a request schema (required fields only)."""
    schema = _resolve(doc, schema)
    if "examples" in schema:
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return minimal(doc, options[0])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: minimal(doc, props[name]) for name in schema.get("required", [])}
    if kind == "array":
        return [minimal(doc, schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    if kind == "string":
        formats = {"uuid": str(uuid.uuid4()), "date": "2000-01-01", "email": "x@example.com"}
        if schema.get("format") in formats:
            return formats[schema["format"]]
        size = max(schema.get("minLength", 1), 1)
        candidates = ["A" * size, "a@example.com", "a" * size, "1" * size]
        pattern = schema.get("pattern")
        return next((c for c in candidates if not pattern or re.search(pattern, c)), candidates[0])
    return None


def request_body(app: FastAPI, method: str, path: str) -> Any:
    doc = app.openapi()
    op = doc["paths"][path][method.lower()]
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return minimal(doc, content["application/json"]["schema"])


def _through_api(client: TestClient, shop: Shop, path: str, body: dict[str, Any]) -> Any:
    r = client.post(path, json=body, headers=shop.headers)
    assert r.status_code == 201, f"B could not create its own {path}: {r.text}"
    return r.json()


def victim_data(db: Database, client: TestClient) -> Victim:
    shop = make_merchant(
        db,
        name="Vientiane Motors",
        country="LA",
        currency="LAK",
        timezone="Asia/Vientiane",
        locale="lo",
    )
    customer = make_customer(
        db,
        shop,
        name="Bounmy Victimsak",
        phone="020 5555 1234",
        email="bounmy.victim@example.la",
        consent={"sms": True},
    )
    note = db.run(
        lambda s: customers.add_note(s, shop.ctx, customer.id, NoteCreate(body="B-SECRET-NOTE"))
    )
    store = db.run(
        lambda s: merchants.create_store(s, shop.ctx, StoreCreate(code="B2", name="B Branch"))
    )
    key, _secret = db.run(
        lambda s: merchants.issue_api_key(s, shop.ctx, ApiKeyCreate(name="B till", role="cashier"))
    )

    def _job(s: Any) -> ImportJob:
        job = ImportJob(merchant_id=shop.id, filename="b-customers.csv")
        s.add(job)
        s.flush()
        return job

    job = db.run(_job)
    reward = _through_api(
        client,
        shop,
        "/api/v1/rewards",
        {"name": "B free coffee", "kind": "free_item", "cost_points": 50, "sku": "B-SKU"},
    )
    sale = _through_api(
        client,
        shop,
        "/api/v1/checkout",
        {
            "receipt_id": "B-R-1",
            "customer": {"id": str(customer.id)},
            "lines": [
                {"sku": "B-SKU", "name": "B Hilux service", "quantity": 1, "unit_price": 500_000}
            ],
        },
    )
    db.run(lambda s: analytics.refresh(s, shop.ctx))  # B's RFM row, for the analytics routes
    campaign = _through_api(
        client,
        shop,
        "/api/v1/coupon-campaigns",
        {"name": "B coupon", "kind": "amount_off", "value": 500, "code": "BSECRET"},
    )
    code_job = _through_api(
        client, shop, f"/api/v1/coupon-campaigns/{campaign['id']}/codes", {"count": 1}
    )
    event = _through_api(
        client,
        shop,
        "/api/v1/events",
        {"name": "B VIP night", "starts_at": "2099-01-01T18:00:00Z", "capacity": 10},
    )
    rsvp = _through_api(
        client, shop, f"/api/v1/events/{event['id']}/rsvps", {"customer_id": str(customer.id)}
    )
    club = _through_api(client, shop, "/api/v1/clubs", {"name": "B Coffee Club"})
    ticket = _through_api(
        client,
        shop,
        "/api/v1/tickets",
        {"customer_id": str(customer.id), "category": "service", "subject": "B-SECRET-TICKET"},
    )
    survey = _through_api(client, shop, "/api/v1/surveys", {"customer_id": str(customer.id)})
    review = _through_api(
        client, shop, "/api/v1/reviews", {"customer_id": str(customer.id), "body": "B-REVIEW"}
    )
    schedule = _through_api(
        client,
        shop,
        "/api/v1/service-schedules",
        {"customer_id": str(customer.id), "item": "B Hilux", "service": "Oil", "every_months": 6},
    )
    offer = _through_api(
        client, shop, "/api/v1/payment-plan-offers",
        {"name": "B plan offer", "installments": 3, "interval_months": 1, "min_price": 1,
         "max_price": 10_000_000},
    )  # fmt: skip
    plan = _through_api(
        client, shop, "/api/v1/payment-plans",
        {"customer_id": str(customer.id), "offer_id": offer["id"], "principal": 900_000,
         "first_due": "2099-01-01"},
    )  # fmt: skip
    audit_id = db.run(lambda s: merchants.list_audit(s, shop.ctx, PageRequest(limit=1)).data[0].id)
    message_id = db.run(
        lambda s: outbox.enqueue(
            s, merchant_id=shop.id, kind="note", category="marketing", customer_id=customer.id
        )
    )
    ids = {
        "customer_id": customer.id,
        "store_id": store.id,
        "key_id": key.id,
        "api_key_id": key.id,
        "note_id": note.id,
        "job_id": job.id,
        "import_id": job.id,
        "reward_id": uuid.UUID(reward["id"]),
        "purchase_id": uuid.UUID(sale["purchase_id"]),
        "staff_id": shop.ctx.actor.id,
        "campaign_id": uuid.UUID(campaign["id"]),
        "code_job_id": uuid.UUID(code_job["id"]),
        "event_id": uuid.UUID(event["id"]),
        "rsvp_id": uuid.UUID(rsvp["id"]),
        "club_id": uuid.UUID(club["id"]),
        "offer_id": uuid.UUID(offer["id"]),
        "plan_id": uuid.UUID(plan["id"]),
        "audit_event_id": audit_id,
        "ticket_id": uuid.UUID(ticket["id"]),
        "survey_id": uuid.UUID(survey["id"]),
        "review_id": uuid.UUID(review["id"]),
        "schedule_id": uuid.UUID(schedule["id"]),
        "token": survey["token"],
        "message_id": message_id,
    }
    secrets = [str(v) for v in ids.values()] + [
        str(shop.id),
        shop.ctx.merchant.slug,
        "Vientiane Motors",
        "Bounmy",
        "Victimsak",
        "+8562055551234",
        "2055551234",
        "bounmy.victim@example.la",
        customer.member_code,
        "B-SECRET-NOTE",
        "B free coffee",
        "B-R-1",
        "B Hilux service",
        "B Branch",
        "B coupon",
        "BSECRET",
        "B VIP night",
        "B Coffee Club",
        "B-SECRET-TICKET",
        "B-REVIEW",
        survey["token"],
        "B plan offer",
        rsvp["code"],
        key.prefix,
        shop.api_key,
        shop.owner_email,
    ]
    return Victim(shop=shop, ids=ids, member_code=customer.member_code, secrets=secrets)


def snapshot(db: Database, merchant_id: uuid.UUID) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of one merchant, in every table."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            column = table.c.id if table.name == "merchants" else table.c.merchant_id
            rows = conn.execute(select(table).where(column == merchant_id)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def assert_no_leak(body: bytes, victim: Victim, where: str) -> None:
    text = body.decode("utf-8", "replace").lower()
    leaked = [s for s in victim.secrets if s.lower() in text]
    assert not leaked, f"{where} leaked {leaked}: {text[:300]}"


@pytest.fixture
def two_shops(db: Database, client: TestClient) -> tuple[Shop, Victim]:
    a = make_merchant(db, name="Shwe Bakery")
    make_customer(db, a, name="Aung Aung", phone="09 7812 34567")
    return a, victim_data(db, client)


def _ids(path: str) -> bool:
    return any(name not in NAMES for name in PARAM.findall(path))


def test_every_route_answers_404_for_another_merchants_ids(
    app: FastAPI, client: TestClient, db: Database, two_shops: tuple[Shop, Victim]
) -> None:
    a, b = two_shops
    with_params = [(m, p) for m, p in api_routes(app) if _ids(p)]
    assert len(with_params) >= 9  # the foundation's own; a broken route walk finds none
    calls = []
    values = {**NAMES, **b.ids}
    for method, path in with_params:
        missing = [n for n in PARAM.findall(path) if n not in b.ids and n not in NAMES]
        assert not missing, f"{method} {path}: no object of B's for {missing}; extend victim_data"
        calls.append((method, path, PARAM.sub(lambda m: str(values[m.group(1)]), path)))
    for method, _path, url in calls:
        if method == "GET":  # the ids are real: B itself can read them
            own = client.get(url, headers=b.shop.headers)
            assert own.status_code == 200, f"B cannot read its own {url}: {own.text}"
    before = snapshot(db, b.shop.id)
    for method, path, url in calls:
        r = client.request(method, url, headers=a.headers, json=request_body(app, method, path))
        assert r.status_code == 404, f"{method} {path} -> {r.status_code} {r.text}"
        assert r.headers["content-type"] == "application/problem+json"
        assert_no_leak(r.content, b, f"{method} {path}")
    assert snapshot(db, b.shop.id) == before


def test_routes_without_ids_only_show_the_callers_data(
    app: FastAPI, client: TestClient, db: Database, two_shops: tuple[Shop, Victim]
) -> None:
    a, b = two_shops
    before = snapshot(db, b.shop.id)
    plain = [(m, p) for m, p in api_routes(app) if not _ids(p)]
    for method, path in plain:
        url = PARAM.sub(lambda m: NAMES[m.group(1)], path)
        r = client.request(method, url, headers=a.headers, json=request_body(app, method, path))
        assert r.status_code < 500, f"{method} {path} -> {r.status_code} {r.text}"
        assert_no_leak(r.content, b, f"{method} {path}")
    assert snapshot(db, b.shop.id) == before


@pytest.mark.parametrize(
    "params",
    [
        {"q": "Bounmy"},
        {"q": "bounmy.victim@example.la"},
        {"q": "+8562055551234"},
        {"q": "MEMBER_CODE"},
    ],
)
def test_search_never_finds_another_merchants_customer(
    client: TestClient, two_shops: tuple[Shop, Victim], params: dict[str, str]
) -> None:
    a, b = two_shops
    query = {k: v.replace("MEMBER_CODE", b.member_code) for k, v in params.items()}
    own = client.get("/api/v1/customers", params=query, headers=b.shop.headers)
    assert [c["name"] for c in own.json()["data"]] == ["Bounmy Victimsak"]
    r = client.get("/api/v1/customers", params=query, headers=a.headers)
    assert r.status_code == 200
    assert r.json() == {"data": [], "next_cursor": None}


@pytest.mark.parametrize("field", ["phone", "code"])
def test_lookup_of_another_merchants_phone_or_code_is_404(
    client: TestClient, two_shops: tuple[Shop, Victim], field: str
) -> None:
    a, b = two_shops
    value = {"phone": "+8562055551234", "code": b.member_code}[field]
    assert (
        client.get(
            "/api/v1/customers/lookup", params={field: value}, headers=b.shop.headers
        ).status_code
        == 200
    )
    r = client.get("/api/v1/customers/lookup", params={field: value}, headers=a.headers)
    assert r.status_code == 404
    assert_no_leak(r.content, b, f"lookup by {field}")


def test_creating_a_customer_with_another_merchants_store_is_rejected(
    client: TestClient, db: Database, two_shops: tuple[Shop, Victim]
) -> None:
    a, b = two_shops
    body = {"name": "Ma Hla", "store_id": str(b.ids["store_id"])}
    r = client.post("/api/v1/customers", json=body, headers=a.headers)
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "store_id", "message": "no such store"}]
    names = [c["name"] for c in client.get("/api/v1/customers", headers=a.headers).json()["data"]]
    assert names == ["Aung Aung"]


# --- authentication and roles ----------------------------------------------------------------


def test_every_api_route_without_a_key_is_401_problem(app: FastAPI, client: TestClient) -> None:
    for method, path in api_routes(app):
        url = PARAM.sub(lambda _m: str(uuid.uuid4()), path)
        r = client.request(method, url, json=request_body(app, method, path))
        assert r.status_code == 401, f"{method} {path} -> {r.status_code}"
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert (body["type"], body["status"]) == ("/problems/unauthorized", 401)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer rg_nosuchkey_0000",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer rg_only-prefix",
        "Bearer " + "x" * 300,
    ],
)
def test_wrong_keys_are_401(client: TestClient, db: Database, header: str) -> None:
    make_merchant(db)
    r = client.get("/api/v1/customers", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"


def test_a_tampered_key_with_a_real_prefix_is_401(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    tampered = shop.api_key[:-1] + ("0" if shop.api_key[-1] != "0" else "1")
    r = client.get("/api/v1/customers", headers={"Authorization": f"Bearer {tampered}"})
    assert r.status_code == 401


def test_a_revoked_key_is_401_from_the_next_request(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    till = shop.key_for(db, "cashier")
    assert client.get("/api/v1/customers", headers=till).status_code == 200
    key_id = client.get("/api/v1/api-keys", headers=shop.headers).json()["data"][0]["id"]
    revoked = client.delete(f"/api/v1/api-keys/{key_id}", headers=shop.headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    r = client.get("/api/v1/customers", headers=till)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/customers", headers=shop.headers).status_code == 200


@pytest.mark.parametrize(("method", "path"), OWNER_ONLY + MANAGER_ONLY)
def test_cashier_key_is_403_on_routes_above_its_role(
    app: FastAPI, client: TestClient, db: Database, method: str, path: str
) -> None:
    shop = make_merchant(db)
    till = shop.key_for(db, "cashier")
    before = snapshot(db, shop.id)
    r = client.request(method, path, headers=till, json=request_body(app, method, path))
    assert r.status_code == 403, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "/problems/forbidden"
    assert snapshot(db, shop.id) == before


@pytest.mark.parametrize(("method", "path"), OWNER_ONLY)
def test_manager_key_is_403_on_owner_only_routes(
    app: FastAPI, client: TestClient, db: Database, method: str, path: str
) -> None:
    shop = make_merchant(db)
    manager = shop.key_for(db, "manager")
    r = client.request(method, path, headers=manager, json=request_body(app, method, path))
    assert r.status_code == 403, r.text


@pytest.mark.parametrize("suffix", ["", "/export"])
def test_cashier_cannot_erase_or_export_even_its_own_customers(
    client: TestClient, db: Database, suffix: str
) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop, name="Daw Mya")
    till = shop.key_for(db, "cashier")
    method = "DELETE" if suffix == "" else "GET"
    r = client.request(method, f"/api/v1/customers/{customer.id}{suffix}", headers=till)
    assert r.status_code == 403
    got = client.get(f"/api/v1/customers/{customer.id}", headers=shop.headers).json()
    assert got["name"] == "Daw Mya"

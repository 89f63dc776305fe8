"""Coupon campaigns and codes over HTTP: create, read, change, codes and codes.csv, personal
codes, the validation question with every reason, and its rate limit."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.db import Database
from regulars.kit import clock
from regulars.offers import codes as offer_codes
from regulars.offers import jobs
from regulars.offers.models import CouponCampaign, CouponCode
from tests.factories import Shop, make_customer, make_merchant
from tests.offers.helpers import API, campaign, codes, sale

PRINTED = re.compile(r"^[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{5}$")


def count(db: Database, model: Any) -> int:
    return int(db.run(lambda s: s.scalar(select(func.count()).select_from(model)), write=False))


def test_a_campaign_is_created_read_listed_and_changed(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)  # Asia/Yangon, +06:30
    made = campaign(
        client, shop, name="Rainy season", kind="amount_off", value=2000, min_spend=10000,
        categories=["cakes"], starts_at="2026-07-01T00:00:00", ends_at="2026-09-30T23:59:00",
        total_limit=500, per_customer_limit=2, tiers=["gold"], stackable=True, code="rain-2026",
    )  # fmt: skip
    assert {k: v for k, v in made.items() if k not in ("id", "created_at")} == {
        "name": "Rainy season",
        "kind": "amount_off",
        "value": 2000,
        "sku": None,
        "min_spend": 10000,
        "skus": [],
        "categories": ["cakes"],
        "starts_at": "2026-07-01T00:00:00+06:30",
        "ends_at": "2026-09-30T23:59:00+06:30",
        "total_limit": 500,
        "per_customer_limit": 2,
        "tiers": ["gold"],
        "stackable": True,
        "release_on_refund": True,
        "active": True,
        "code": "RAIN2026",
        "used": 0,
    }
    got = client.get(f"{API}/coupon-campaigns/{made['id']}", headers=shop.headers)
    assert got.json() == made
    listed = client.get(f"{API}/coupon-campaigns", headers=shop.headers)
    assert listed.json() == [made]
    changed = client.patch(
        f"{API}/coupon-campaigns/{made['id']}",
        json={"value": 3000, "active": False},
        headers=shop.headers,
    )
    assert changed.status_code == 200
    assert changed.json() == made | {"value": 3000, "active": False}


def test_bad_campaigns_are_refused_naming_the_field_and_nothing_is_written(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    campaign(client, shop, code="SUMMER")
    cases = [
        ({"name": "x", "kind": "percent_off", "value": 150}, 422, "value"),
        ({"name": "x", "kind": "free_item"}, 422, "sku"),
        ({"name": "x", "kind": "percent_off", "value": 5, "code": "summer"}, 409, "code"),
        ({"name": "x", "kind": "percent_off", "value": 5, "code": "no way!"}, 422, "code"),
        (
            {
                "name": "x",
                "kind": "amount_off",
                "value": 5,
                "starts_at": "2026-05-02T00:00:00",
                "ends_at": "2026-05-01T23:00:00+06:30",
            },
            422,
            "ends_at",
        ),
        (
            {"name": "x", "kind": "amount_off", "value": 5, "starts_at": "0001-01-01T00:00:00"},
            422,
            "starts_at",
        ),
    ]
    for body, status, field in cases:
        r = client.post(f"{API}/coupon-campaigns", json=body, headers=shop.headers)
        assert r.status_code == status, (body, r.text)
        assert field in r.text
    made = client.get(f"{API}/coupon-campaigns", headers=shop.headers).json()[0]
    for patch, field in (({"name": None}, "name"), ({"value": 0}, "value")):
        r = client.patch(f"{API}/coupon-campaigns/{made['id']}", json=patch, headers=shop.headers)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field
    assert client.get(f"{API}/coupon-campaigns/{made['id']}", headers=shop.headers).json() == made
    assert count(db, CouponCampaign) == 1
    assert count(db, CouponCode) == 1


def test_another_merchants_campaign_is_a_404_and_a_cashier_cannot_create(
    client: TestClient, db: Database
) -> None:
    shop, other = make_merchant(db), make_merchant(db, name="Other")
    made = campaign(client, shop)
    for method, path, body in [
        ("GET", "", None),
        ("PATCH", "", {"active": False}),
        ("POST", "/codes", {"count": 3}),
        ("GET", "/codes.csv", None),
    ]:
        r = client.request(
            method, f"{API}/coupon-campaigns/{made['id']}{path}", json=body, headers=other.headers
        )
        assert r.status_code == 404, (method, path)
    cashier = shop.key_for(db, "cashier")
    r = client.post(
        f"{API}/coupon-campaigns",
        json={"name": "x", "kind": "amount_off", "value": 5},
        headers=cashier,
    )
    assert r.status_code == 403
    assert count(db, CouponCampaign) == 1 and count(db, CouponCode) == 0


def test_codes_are_made_distinct_printable_and_downloaded(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    made = campaign(client, shop)
    r = client.post(
        f"{API}/coupon-campaigns/{made['id']}/codes", json={"count": 25}, headers=shop.headers
    )
    assert r.status_code == 201
    assert {k: r.json()[k] for k in ("count", "done", "status")} == {
        "count": 25,
        "done": 25,
        "status": "done",
    }
    csv = client.get(f"{API}/coupon-campaigns/{made['id']}/codes.csv", headers=shop.headers)
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    rows = csv.text.split("\r\n")
    assert rows[0] == "code,customer_id,expires_at,used_at"
    assert rows[-1] == ""
    printed = [row.split(",")[0] for row in rows[1:-1]]
    assert len(printed) == 25 == len(set(printed))
    assert all(PRINTED.match(code) for code in printed)
    assert all(row.endswith(",,") for row in rows[1:-1])


def test_many_codes_are_made_by_a_job_with_progress(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    made = campaign(client, shop)
    n = jobs.SYNC_LIMIT + 500
    r = client.post(
        f"{API}/coupon-campaigns/{made['id']}/codes", json={"count": n}, headers=shop.headers
    )
    assert r.status_code == 202
    job = r.json()
    assert job["status"] == "running" and job["count"] == n
    jobs.wait(__import__("uuid").UUID(job["id"]), timeout=60)
    polled = client.get(
        f"{API}/coupon-campaigns/{made['id']}/code-jobs/{job['id']}", headers=shop.headers
    )
    assert {k: polled.json()[k] for k in ("count", "done", "status", "error")} == {
        "count": n,
        "done": n,
        "status": "done",
        "error": None,
    }
    assert count(db, CouponCode) == n


def test_a_personal_code_is_for_one_customer_for_a_few_days(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    made = campaign(client, shop, name="Birthday")
    at = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)
    with clock.frozen(at):
        r = client.post(
            f"{API}/coupon-campaigns/{made['id']}/personal-codes",
            json={"customer_id": str(cust.id), "valid_days": 7},
            headers=shop.headers,
        )
    assert r.status_code == 201, r.text
    out = r.json()
    assert PRINTED.match(out["code"])
    assert out["customer_id"] == str(cust.id) and out["campaign_id"] == made["id"]
    assert out["expires_at"] == "2026-05-08T03:00:00Z"


def _validate(client: TestClient, shop: Shop, code: str, **body: Any) -> dict[str, Any]:
    r = client.post(f"{API}/coupons/validate", json={"code": code} | body, headers=shop.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _commit(client: TestClient, shop: Shop, receipt: str, code: str, **extra: Any) -> None:
    body = sale(receipt, ("CAKE", "cakes", 1, 10000), coupon_codes=[code], **extra)
    r = client.post(f"{API}/checkout", json=body, headers=shop.headers)
    assert r.status_code == 201, r.text


LINES = [{"sku": "CAKE", "category": "cakes", "quantity": 1, "unit_price": 10000}]


def _reason_case(client: TestClient, db: Database, shop: Shop, reason: str) -> dict[str, Any]:
    """Sets up the reason's situation; returns the validation body that meets it."""
    cust = make_customer(db, shop, phone="09 7812 34567")
    me = {"id": str(cust.id)}
    if reason == "unknown":
        return {"code": "NOPE-NOPE-NOPE"}
    if reason == "inactive":
        campaign(client, shop, code="PAUSED", active=False)
        return {"code": "paused"}
    if reason == "not_started":
        campaign(client, shop, code="SOON", starts_at="2999-01-01T00:00:00")
        return {"code": "soon"}
    if reason == "expired":
        campaign(client, shop, code="OLD", ends_at="2001-01-01T00:00:00")
        return {"code": "old"}
    if reason == "used":
        code = codes(client, shop, campaign(client, shop)["id"], 1)[0]
        _commit(client, shop, "R-1", code)
        return {"code": code.lower()}
    if reason == "exhausted":
        campaign(client, shop, code="ONCE", total_limit=1)
        _commit(client, shop, "R-1", "ONCE")
        return {"code": "once"}
    if reason == "customer_limit":
        campaign(client, shop, code="MINE", per_customer_limit=1)
        _commit(client, shop, "R-1", "MINE", customer=me)
        return {"code": "mine", "customer": me}
    if reason == "needs_customer":
        campaign(client, shop, code="GOLD", tiers=["gold"])
        return {"code": "gold"}
    if reason == "other_customer":
        other = make_customer(db, shop, phone="09 7812 34568")
        made = campaign(client, shop)
        r = client.post(
            f"{API}/coupon-campaigns/{made['id']}/personal-codes",
            json={"customer_id": str(other.id)},
            headers=shop.headers,
        )
        return {"code": r.json()["code"], "customer": me}
    if reason == "tier":
        campaign(client, shop, code="GOLD", tiers=["gold"])
        return {"code": "gold", "customer": me}
    if reason == "min_spend":
        campaign(client, shop, code="BIG", min_spend=50000)
        return {"code": "big", "lines": LINES}
    if reason == "not_in_basket":
        campaign(client, shop, code="TEA", skus=["TEA"])
        return {"code": "tea", "lines": LINES}
    raise AssertionError(reason)


REASONS = [
    "unknown", "inactive", "not_started", "expired", "used", "exhausted", "customer_limit",
    "needs_customer", "other_customer", "tier", "min_spend", "not_in_basket",
]  # fmt: skip


@pytest.mark.parametrize("reason", REASONS)
def test_validation_refuses_with_each_reason_in_the_customers_language(
    client: TestClient, db: Database, reason: str
) -> None:
    shop = make_merchant(db, locale="en")
    body = _reason_case(client, db, shop, reason)
    got = _validate(client, shop, **body)
    assert got["valid"] is False and got["reason_code"] == reason
    assert got["reason"] == offer_codes_reasons()[reason]
    if "customer" in body:  # the customer reads Burmese: the reason in Burmese
        client.patch(
            f"{API}/customers/{body['customer']['id']}", json={"locale": "my"}, headers=shop.headers
        )
        again = _validate(client, shop, **body)
        assert again["reason_code"] == reason and again["reason"] != got["reason"]
        assert again["reason"] == burmese(got["reason"])


def offer_codes_reasons() -> dict[str, str]:
    from regulars.offers.reasons import REASONS as TEXTS

    return TEXTS


def burmese(text: str) -> str:
    from regulars.web.i18n import translations

    return translations("my").gettext(text)


def test_a_good_code_is_valid_in_any_case_with_or_without_dashes(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db, locale="en")
    code = codes(client, shop, campaign(client, shop)["id"], 1)[0]
    for typed in (code, code.lower(), code.replace("-", ""), code.replace("-", " ")):
        got = _validate(client, shop, typed, lines=LINES)
        assert got == {"valid": True, "reason_code": None, "reason": "This code can be used."}


def test_another_merchants_code_answers_exactly_like_an_unknown_one(
    client: TestClient, db: Database
) -> None:
    shop, other = make_merchant(db), make_merchant(db, name="Other")
    theirs = codes(client, other, campaign(client, other)["id"], 1)[0]
    assert _validate(client, shop, theirs) == _validate(client, shop, "2222-2222-22222")


def test_validation_is_rate_limited_per_client_with_retry_after(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    for _ in range(60):
        _validate(client, shop, "NOPE")
    r = client.post(f"{API}/coupons/validate", json={"code": "NOPE"}, headers=shop.headers)
    assert r.status_code == 429
    assert r.headers["content-type"] == "application/problem+json"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.json()["type"] == "/problems/too-many-requests"


def test_validation_is_rate_limited_per_key(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from regulars.kit.ratelimit import RateLimiter
    from regulars.offers import api

    monkeypatch.setattr(api, "PER_KEY", RateLimiter(3, 60))
    shop = make_merchant(db)
    other_key = shop.key_for(db, "cashier")
    for _ in range(3):
        _validate(client, shop, "NOPE")
    r = client.post(f"{API}/coupons/validate", json={"code": "NOPE"}, headers=shop.headers)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    fine = client.post(f"{API}/coupons/validate", json={"code": "NOPE"}, headers=other_key)
    assert fine.status_code == 200


def test_codes_use_an_alphabet_without_look_alikes() -> None:
    made = offer_codes.new_codes(2000)
    assert len(set(made)) == 2000
    assert set("".join(made)) <= set(offer_codes.ALPHABET)
    assert not set(offer_codes.ALPHABET) & set("01ILOU")
    assert offer_codes.SPACE > 2**63
    assert offer_codes.normalize(" abcd-efgh jkmnp ") == "ABCDEFGHJKMNP"
    assert offer_codes.normalize("ab€") == ""

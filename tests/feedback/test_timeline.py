"""The customer timeline (C4) lists purchases, messages, tickets, surveys, reviews, service
visits and notes in one list, newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from regulars.db import Database
from regulars.kit import clock
from regulars.messaging import outbox
from tests.events.helpers import buy
from tests.factories import make_customer, make_merchant

API = "/api/v1"


def test_every_kind_of_contact_is_on_the_timeline_newest_first(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Ko Aung", phone="09 7812 34567")
    cid = str(member.id)
    start = datetime(2026, 11, 2, 4, 0, tzinfo=UTC)
    h = shop.headers
    steps = [
        lambda: client.post(
            f"{API}/customers/{cid}/notes", json={"body": "Likes plum cake"}, headers=h
        ),
        lambda: buy(db, shop, member.id, 5000, "R-1"),
        lambda: client.post(
            f"{API}/tickets",
            json={"customer_id": cid, "category": "product", "subject": "Dry cake"},
            headers=h,
        ),
        lambda: client.post(f"{API}/surveys", json={"customer_id": cid}, headers=h),
        lambda: client.post(f"{API}/reviews", json={"customer_id": cid, "rating": 5}, headers=h),
        lambda: client.post(
            f"{API}/service-schedules/"
            + client.post(
                f"{API}/service-schedules",
                json={"customer_id": cid, "item": "Oven", "service": "Check", "every_months": 12},
                headers=h,
            ).json()["id"]
            + "/visits",
            json={"notes": "Cleaned"},
            headers=h,
        ),
    ]
    steps.append(
        lambda: db.run(
            lambda s: outbox.enqueue(
                s, merchant_id=shop.id, kind="welcome", category="marketing",
                customer_id=member.id, body="Welcome",
            )
        )
    )  # fmt: skip
    for i, step in enumerate(steps):
        with clock.frozen(start + timedelta(hours=i)):
            step()
    got = client.get(f"{API}/customers/{cid}/timeline", headers=h).json()
    kinds = [e["kind"] for e in got]
    assert kinds == ["message", "service_visit", "review", "survey", "ticket", "purchase", "note"]
    assert (got[0]["summary"], got[0]["status"]) == ("welcome · - · pending", "pending")
    assert got[4]["summary"] == "Dry cake" and got[4]["status"] == "open"
    assert got[5]["summary"] == "R-1 · 5000 MMK"

"""The sign-up bonus (L7): once per customer, on the ledger, whichever way they join."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars.db import Database
from regulars.loyalty import service as loyalty
from regulars.loyalty import signup
from regulars.loyalty.models import PointsEntry
from tests.checkout.test_concurrency import race, sums_hold
from tests.factories import Shop, make_customer, make_merchant
from tests.web.conftest import csrf_of
from tests.web.test_pos_pages import add_staff, sign_in_as

API = "/api/v1"


def set_signup_points(db: Database, shop: Shop, points: int, expiry_months: int = 0) -> None:
    def save(s: Any) -> None:
        program = loyalty.current_program(s, shop.ctx)[1].model_copy(deep=True)
        program.bonuses.signup_points = points
        program.expiry_months = expiry_months
        loyalty.save_program(s, shop.ctx, program)

    db.run(save)


def entries(db: Database, shop: Shop, customer_id: uuid.UUID) -> list[tuple[int, str, str]]:
    q = (
        select(PointsEntry.points, PointsEntry.kind, PointsEntry.reason)
        .where(PointsEntry.merchant_id == shop.id, PointsEntry.customer_id == customer_id)
        .order_by(PointsEntry.created_at)
    )
    return [tuple(r) for r in db.run(lambda s: s.execute(q).all(), write=False)]  # type: ignore[misc]


def test_a_customer_created_by_api_gets_the_signup_points_once(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    set_signup_points(db, shop, 50, expiry_months=12)
    headers = shop.headers | {"Idempotency-Key": "join-1"}
    body = {"name": "Daw Mya", "phone": "09 7812 34567"}
    r = client.post(f"{API}/customers", json=body, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["points_balance"] == 50
    again = client.post(f"{API}/customers", json=body, headers=headers)  # a retried request
    assert again.json()["id"] == r.json()["id"]
    customer_id = uuid.UUID(r.json()["id"])
    assert entries(db, shop, customer_id) == [(50, "bonus", "signup")]
    ledger_rows = client.get(f"{API}/customers/{customer_id}/ledger", headers=shop.headers).json()
    assert [(e["points"], e["kind"], e["reason"]) for e in ledger_rows["data"]] == [
        (50, "bonus", "signup")
    ]
    assert ledger_rows["data"][0]["expires_at"] is not None  # expires like any earned point
    assert sums_hold(db, shop, customer_id) == (50, 50)


def test_no_signup_points_no_entry(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)  # the default program gives none
    r = client.post(f"{API}/customers", json={"name": "Ko Zaw"}, headers=shop.headers)
    assert r.status_code == 201
    assert r.json()["points_balance"] == 0
    assert entries(db, shop, uuid.UUID(r.json()["id"])) == []


def test_awarding_again_gives_nothing_more(db: Database) -> None:
    shop = make_merchant(db)
    set_signup_points(db, shop, 30)
    mya = make_customer(db, shop, name="Daw Mya")
    assert db.run(lambda s: signup.award_signup_bonus(s, shop.ctx, mya.id)) == 0
    set_signup_points(db, shop, 80)  # a later program does not top it up
    assert db.run(lambda s: signup.award_signup_bonus(s, shop.ctx, mya.id)) == 0
    assert entries(db, shop, mya.id) == [(30, "bonus", "signup")]


def test_concurrent_awards_for_one_customer_post_once(db: Database) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop, name="Daw Mya")  # joined before the bonus existed
    set_signup_points(db, shop, 25)
    results = race(12, lambda _i: db.run(lambda s: signup.award_signup_bonus(s, shop.ctx, mya.id)))
    assert sorted(results) == [0] * 11 + [25]
    assert entries(db, shop, mya.id) == [(25, "bonus", "signup")]
    assert sums_hold(db, shop, mya.id) == (25, 25)


def test_merging_two_records_that_both_got_the_bonus_keeps_both_entries(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    set_signup_points(db, shop, 10)
    mya = make_customer(db, shop, name="Daw Mya", phone="09 7812 34567")
    dup = make_customer(db, shop, name="Mya", phone="09 7812 11111")
    r = client.post(f"{API}/customers/{mya.id}/merge", json={"other_id": str(dup.id)},
                    headers=shop.headers)  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["points_balance"] == 20
    assert entries(db, shop, mya.id) == [(10, "bonus", "signup"), (10, "bonus", "signup")]
    assert db.run(lambda s: signup.award_signup_bonus(s, shop.ctx, mya.id)) == 0
    assert sums_hold(db, shop, mya.id) == (20, 20)


def test_a_customer_added_on_the_staff_form_gets_the_signup_points(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    set_signup_points(db, shop, 15)
    sign_in_as(client, add_staff(db, shop, "cashier"))  # the cashier at the till
    form = {"name": "Ko Zaw", "phone": "09 7812 34567", "csrf": csrf_of(client, "/customers/new")}
    r = client.post("/customers/new", data=form, follow_redirects=False)
    assert r.status_code == 303
    customer_id = uuid.UUID(r.headers["location"].rsplit("/", 1)[1])
    assert entries(db, shop, customer_id) == [(15, "bonus", "signup")]

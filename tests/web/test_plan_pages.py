"""Payment plan pages without a browser: the staff list (overdue first), the till's payment form
and its refusals, the portal's schedule, and the program setting for on-time points."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient

from regulars import daily
from regulars.db import Database
from regulars.kit import clock
from regulars.loyalty import service as loyalty
from regulars.plans import offers, service
from regulars.plans.schemas import OfferCreate, PlanCreate
from tests.factories import Shop, make_customer, make_merchant
from tests.web.conftest import sign_in
from tests.web.test_loyalty_pages import _program_form

JAN = datetime(2026, 1, 20, 4, 0, tzinfo=UTC)


def _plan(db: Database, shop: Shop, name: str, first_due: date) -> dict[str, Any]:
    member = make_customer(db, shop, name=name)
    terms = OfferCreate(name=f"Plan {name}", installments=2, interval_months=1, min_price=1,
                        max_price=10**9)  # fmt: skip
    offer = db.run(lambda s: offers.create_offer(s, shop.ctx, terms))
    body = PlanCreate(customer_id=member.id, offer_id=offer["id"], principal=100_000,
                      first_due=first_due)  # fmt: skip
    with clock.frozen(JAN):
        return db.run(lambda s: service.create_plan(s, shop.ctx, body))  # type: ignore[no-any-return]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_the_staff_list_puts_overdue_plans_first(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    _plan(db, shop, "Later", date(2026, 3, 1))
    _plan(db, shop, "Late", date(2026, 1, 25))
    with clock.frozen(datetime(2026, 2, 1, 4, 0, tzinfo=UTC)):
        daily.run_job(db, shop.ctx, "plans.overdue")
    sign_in(client, shop, "en")
    html = client.get("/plans").text
    names = re.findall(r'<strong class="name">([^<]+) <bdi', html)
    assert names == ["Late", "Later"]
    assert 'class="plan-row overdue"' in html and "Overdue: 1" in html


def test_the_till_takes_a_payment_and_refuses_bad_amounts(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)  # MMK: no minor unit
    plan = _plan(db, shop, "Daw Mya", date(2099, 1, 1))
    sign_in(client, shop, "en")
    page = client.get(f"/pos/plans?customer={plan['customer_id']}").text
    payment_id = re.search(r'name="payment_id" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    url = f"/pos/plans/{plan['id']}/payments"
    form = {"csrf": _csrf(page), "payment_id": payment_id}
    r = client.post(url, data=form | {"amount": "abc"})
    assert r.status_code == 422 and "Type an amount greater than zero." in r.text
    r = client.post(url, data=form | {"amount": "100001"})
    assert r.status_code == 422 and "more than is left to pay" in r.text
    r = client.post(url, data=form | {"amount": "30,000"}, follow_redirects=False)
    assert r.status_code == 303
    again = client.post(url, data=form | {"amount": "30,000"}, follow_redirects=False)
    assert again.status_code == 303  # a resent form replays the same payment
    got = client.get(f"/api/v1/payment-plans/{plan['id']}", headers=shop.headers).json()
    assert (got["paid"], got["remaining"]) == (30_000, 70_000)
    r = client.post(url, data=form | {"amount": "1"})
    assert r.status_code == 409 and "already recorded with another amount" in r.text


def test_the_till_finds_the_customer_by_phone(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="U Ba", phone="09 7812 34567")
    sign_in(client, shop, "en")
    r = client.get("/pos/plans?q=09+7812+34567")
    assert r.status_code == 200 and "U Ba" in r.text and "no payment plans" in r.text
    assert member.member_code in r.text
    r = client.get("/pos/plans?q=nobody")
    assert r.status_code == 404


def test_the_program_form_keeps_the_on_time_points(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    sign_in(client, shop, "en")
    form = _program_form(client)
    assert form["plan_on_time_points"] == "0"
    r = client.post("/settings/program", data=form | {"plan_on_time_points": "25"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    program = db.run(lambda s: loyalty.current_program(s, shop.ctx)[1], write=False)
    assert program.plan_on_time_points == 25
    assert _program_form(client)["plan_on_time_points"] == "25"

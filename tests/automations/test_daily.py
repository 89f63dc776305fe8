"""Who each daily automation picks on a given day (a fixed clock), and that a second run of the
day writes nothing more."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from regulars import daily
from regulars.db import Database
from regulars.kit import clock
from regulars.kit.context import SYSTEM, Ctx
from regulars.loyalty import service as loyalty
from regulars.loyalty.program import EarnRule, Program
from regulars.offers import service as offers
from regulars.offers.schemas import ValidateIn
from tests.automations.helpers import API, buy, outbox, switch_on
from tests.factories import Shop, make_customer, make_merchant

# 2027-02-28 08:00 in Yangon: not a leap year, so those born on the 29th are greeted today
TODAY = datetime(2027, 2, 28, 1, 30, tzinfo=UTC)
YES = {"sms": True}


def _run(db: Database, shop: Shop, job: str) -> dict[str, int]:
    return daily.run_job(db, Ctx(shop.ctx.merchant, SYSTEM), job)


def test_birthdays_of_today_get_a_personal_code_once(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    campaign = client.post(
        f"{API}/coupon-campaigns",
        headers=shop.headers,
        json={"name": "Birthday cake", "kind": "amount_off", "value": 2000},
    ).json()
    switch_on(db, shop, "birthday", campaign_id=campaign["id"], valid_days=7)
    today = make_customer(
        db, shop, name="Today", phone="09 7812 34561", birthday="1990-02-28", consent=YES
    )
    leap = make_customer(
        db, shop, name="Leap", phone="09 7812 34562", birthday="1996-02-29", consent=YES
    )
    make_customer(
        db, shop, name="Tomorrow", phone="09 7812 34563", birthday="1990-03-01", consent=YES
    )
    make_customer(
        db,
        shop,
        name="No consent",
        phone="09 7812 34564",
        birthday="1990-02-28",
        consent={"sms": False},
    )
    make_customer(db, shop, name="No birthday", phone="09 7812 34565", consent=YES)

    with clock.frozen(TODAY):
        assert _run(db, shop, "automations.birthday") == {"customers": 2, "messages": 2}
        assert _run(db, shop, "automations.birthday") == {"customers": 0, "messages": 0}
    sent = outbox(db, shop, "birthday")
    assert sorted(m.customer_id for m in sent) == sorted([today.id, leap.id])
    for m in sent:
        assert m.dedupe_key == f"birthday:{m.customer_id}:2027"
        assert m.payload["reason"] == "birthday on 2027-02-28"
        assert m.payload["expires_at"] == (TODAY + timedelta(days=7)).isoformat()
        with clock.frozen(TODAY):
            check = ValidateIn.model_validate(
                {"code": m.payload["code"], "customer": {"id": str(m.customer_id)}}
            )
            assert db.run(lambda s: offers.validate(s, shop.ctx, check), write=False)["valid"]  # noqa: B023
    # no code was left behind by the second run: one per message
    campaign_id = uuid.UUID(campaign["id"])
    assert db.run(lambda s: offers.count_codes(s, shop.ctx, campaign_id), write=False) == 2


def test_anniversaries_count_the_years_and_skip_the_first_day(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    campaign = client.post(
        f"{API}/coupon-campaigns",
        headers=shop.headers,
        json={"name": "Anniversary", "kind": "percent_off", "value": 10},
    ).json()
    switch_on(db, shop, "anniversary", campaign_id=campaign["id"])
    wed = make_customer(
        db, shop, name="Wed", phone="09 7812 34561", anniversary="2017-02-28", consent=YES
    )
    make_customer(
        db, shop, name="New", phone="09 7812 34562", anniversary="2027-02-28", consent=YES
    )
    with clock.frozen(TODAY):
        assert _run(db, shop, "automations.anniversary") == {"customers": 1, "messages": 1}
    [m] = outbox(db, shop, "anniversary")
    assert (m.customer_id, m.payload["years"]) == (wed.id, 10)
    assert m.payload["reason"] == "anniversary on 2027-02-28 (10 years)"


def test_winback_picks_customers_quiet_for_the_set_days_once_per_quiet_spell(db: Database) -> None:
    shop = make_merchant(db)
    switch_on(db, shop, "winback", days=30)
    quiet = make_customer(db, shop, name="Quiet", phone="09 7812 34561", consent=YES)
    recent = make_customer(db, shop, name="Recent", phone="09 7812 34562", consent=YES)
    long_gone = make_customer(db, shop, name="Gone", phone="09 7812 34563", consent=YES)
    with clock.frozen(TODAY - timedelta(days=31)):
        buy(db, shop, quiet.id, "R-1", ("CAKE", 1, 1000))
    with clock.frozen(TODAY - timedelta(days=29)):
        buy(db, shop, recent.id, "R-2", ("CAKE", 1, 1000))
    with clock.frozen(TODAY - timedelta(days=60)):
        buy(db, shop, long_gone.id, "R-3", ("CAKE", 1, 1000))  # before the catch-up week
    with clock.frozen(TODAY):
        assert _run(db, shop, "automations.winback") == {"customers": 1, "messages": 1}
    with clock.frozen(TODAY + timedelta(days=1)):
        assert _run(db, shop, "automations.winback") == {"customers": 0, "messages": 0}
    [m] = outbox(db, shop, "winback")
    assert (m.customer_id, m.payload["days"]) == (quiet.id, 31)
    assert m.payload["reason"] == "no purchase for 31 days (last 2027-01-28)"


def test_points_expiring_within_the_window_are_announced_once(db: Database) -> None:
    shop = make_merchant(db)
    program = Program(earn=EarnRule(points=1, per_amount=1000), expiry_months=1)
    db.run(lambda s: loyalty.save_program(s, shop.ctx, program))
    switch_on(db, shop, "points_expiring", days=7)
    soon = make_customer(db, shop, name="Soon", phone="09 7812 34561", consent=YES)
    later = make_customer(db, shop, name="Later", phone="09 7812 34562", consent=YES)
    spent = make_customer(db, shop, name="Spent", phone="09 7812 34563", consent=YES)
    with clock.frozen(TODAY - timedelta(days=26)):  # expire in 2 or 3 days
        buy(db, shop, soon.id, "R-1", ("CAKE", 1, 40_000))
        buy(db, shop, spent.id, "R-2", ("CAKE", 1, 40_000))
    with clock.frozen(TODAY - timedelta(days=20)):  # expire in 9 or 10 days
        buy(db, shop, later.id, "R-3", ("CAKE", 1, 40_000))
        body = {
            "receipt_id": "R-4",
            "customer": {"id": str(spent.id)},
            "redeem_points": 40,
            "lines": [{"sku": "CAKE", "quantity": 1, "unit_price": 40_000}],
        }
        from regulars.checkout import service as checkout
        from regulars.checkout.schemas import CheckoutIn

        db.run(lambda s: checkout.commit(s, shop.ctx, CheckoutIn.model_validate(body)))
    with clock.frozen(TODAY):
        first = _run(db, shop, "automations.points_expiring")
        again = _run(db, shop, "automations.points_expiring")
    assert (first["messages"], again["messages"]) == (1, 0)
    [m] = outbox(db, shop, "points_expiring")
    assert (m.customer_id, m.payload["points"], m.payload["balance"]) == (soon.id, 40, 40)
    assert m.payload["expires_at"] == "2027-03-02T01:30:00+00:00"


def test_a_switched_off_automation_picks_nobody(db: Database) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, name="Today", phone="09 7812 34561", birthday="1990-02-28", consent=YES)
    with clock.frozen(TODAY):
        for job in (
            "automations.birthday",
            "automations.winback",
            "automations.points_expiring",
            "automations.anniversary",
        ):
            assert _run(db, shop, job) == {"customers": 0, "messages": 0}
    assert outbox(db, shop) == []

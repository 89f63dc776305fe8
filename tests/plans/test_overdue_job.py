"""The daily `plans.overdue` job with a fixed clock, in the shop's time zone: installments turn
overdue once, reminders before and after a due date go to the outbox once each even when the job
runs twice, and on-time installments earn the program's points once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars import daily
from regulars.db import Database
from regulars.kit import clock
from regulars.loyalty import service as loyalty
from regulars.loyalty.models import PointsEntry
from regulars.loyalty.program import Program
from regulars.messaging.models import OutboxMessage
from tests.factories import Shop, make_customer, make_merchant
from tests.plans.helpers import API, create_offer, create_plan, pay, regular

JAN = datetime(2026, 1, 20, 4, 0, tzinfo=UTC)


def _outbox(db: Database, shop: Shop) -> list[tuple[str, str, str, str]]:
    q = (
        select(OutboxMessage)
        .where(OutboxMessage.merchant_id == shop.id)
        .order_by(OutboxMessage.dedupe_key)
    )
    rows = db.run(lambda s: s.scalars(q).all(), write=False)
    return [(m.kind, m.category, str(m.dedupe_key).split(":")[2], str(m.locale)) for m in rows]


def _plan_in_yangon(
    client: TestClient, db: Database, **customer: Any
) -> tuple[Shop, Any, dict[str, Any]]:
    shop = make_merchant(db)  # Asia/Yangon, UTC+6:30
    member = make_customer(db, shop, **({"name": "Daw Mya", "phone": "09 7812 34567"} | customer))
    regular(db, shop, member.id)
    offer = create_offer(client, shop, installments=1, fee=0, down_payment_percent=50)
    with clock.frozen(JAN):
        plan = create_plan(client, shop, member.id, offer["id"], principal=200_000)
    return shop, member, plan


def test_an_installment_turns_overdue_by_the_shops_calendar_and_is_reminded_once(
    client: TestClient, db: Database
) -> None:
    shop, _member, plan = _plan_in_yangon(client, db, locale="my")
    # 29 January: the down payment (31 January) is due within 3 days: one reminder
    with clock.frozen(datetime(2026, 1, 29, 4, 0, tzinfo=UTC)):
        first = daily.run_job(db, shop.ctx, "plans.overdue")
        second = daily.run_job(db, shop.ctx, "plans.overdue")
    assert first == {"plans": 0, "installments_overdue": 0}
    assert second == first
    assert _outbox(db, shop) == [("plan_reminder", "transactional", "0", "my")]
    # 31 January 20:00 UTC is 1 February 02:30 in Yangon: the down payment is overdue there
    with clock.frozen(datetime(2026, 1, 31, 20, 0, tzinfo=UTC)):
        first = daily.run_job(db, shop.ctx, "plans.overdue")
        second = daily.run_job(db, shop.ctx, "plans.overdue")
    assert first == {"plans": 1, "installments_overdue": 1}
    assert second == {"plans": 0, "installments_overdue": 0}
    assert _outbox(db, shop) == [
        ("plan_overdue", "transactional", "0", "my"),
        ("plan_reminder", "transactional", "0", "my"),
    ]
    got = client.get(f"{API}/payment-plans/{plan['id']}", headers=shop.headers).json()
    assert got["status"] == "overdue"
    assert [s["status"] for s in got["schedule"]] == ["overdue", "open"]


def test_the_day_before_in_yangon_nothing_is_overdue(client: TestClient, db: Database) -> None:
    shop, _member, plan = _plan_in_yangon(client, db)
    # 31 January 17:00 UTC is 23:30 on the 31st in Yangon: still the due date, not overdue
    with clock.frozen(datetime(2026, 1, 31, 17, 0, tzinfo=UTC)):
        assert daily.run_job(db, shop.ctx, "plans.overdue") == {
            "plans": 0,
            "installments_overdue": 0,
        }
    got = client.get(f"{API}/payment-plans/{plan['id']}", headers=shop.headers).json()
    assert got["status"] == "open"


def test_the_reminder_text_is_in_the_customers_language(client: TestClient, db: Database) -> None:
    shop, _member, _plan = _plan_in_yangon(client, db, locale="en")
    with clock.frozen(datetime(2026, 2, 2, 4, 0, tzinfo=UTC)):
        daily.run_job(db, shop.ctx, "plans.overdue")
    q = select(OutboxMessage.body).where(OutboxMessage.kind == "plan_overdue")
    body = db.run(lambda s: s.scalar(q), write=False)
    assert body == (
        "Shwe Bakery: your installment of MMK100,000 for Phone in 12 was due on Jan 31, 2026"
        " and is not paid yet. Please pay at the shop."
    )


def test_paying_an_overdue_installment_clears_the_plan_but_counts_as_late(
    client: TestClient, db: Database
) -> None:
    shop, member, plan = _plan_in_yangon(client, db)
    with clock.frozen(datetime(2026, 2, 20, 4, 0, tzinfo=UTC)):
        daily.run_job(db, shop.ctx, "plans.overdue")
        offers = client.get(
            f"{API}/customers/{member.id}/payment-plan-offers", headers=shop.headers
        )
        assert [r["code"] for r in offers.json()["data"][0]["reasons"]] == ["overdue", "open_plans"]
        r = pay(client, shop, plan["id"], "LATE-1", 100_000)
    assert r.json()["plan"]["status"] == "open"
    assert r.json()["plan"]["schedule"][0]["paid_on"] == "2026-02-20"
    with clock.frozen(datetime(2026, 2, 21, 4, 0, tzinfo=UTC)):
        r = pay(client, shop, plan["id"], "LATE-2", 100_000)
        assert r.json()["plan"]["status"] == "completed"
        offers = client.get(
            f"{API}/customers/{member.id}/payment-plan-offers", headers=shop.headers
        )
    # 20 days late on a 7-day grace: a new plan is refused for the record
    assert [r["code"] for r in offers.json()["data"][0]["reasons"]] == ["paid_late"]


def _points(db: Database, shop: Shop) -> list[tuple[int, str]]:
    q = (
        select(PointsEntry.points, PointsEntry.reason)
        .where(PointsEntry.merchant_id == shop.id, PointsEntry.kind == "adjust")
        .order_by(PointsEntry.id)
    )
    return [(int(p), str(r)) for p, r in db.run(lambda s: s.execute(q).all(), write=False)]


def test_on_time_installments_earn_the_programs_points_once_each(
    client: TestClient, db: Database
) -> None:
    shop, _member, plan = _plan_in_yangon(client, db)
    program = Program(plan_on_time_points=50)
    db.run(lambda s: loyalty.save_program(s, shop.ctx, program))
    with clock.frozen(datetime(2026, 1, 30, 4, 0, tzinfo=UTC)):
        a = pay(client, shop, plan["id"], "OT-1", 110_000)  # the down payment and 10,000 more
        b = pay(client, shop, plan["id"], "OT-1", 110_000)  # a replay earns nothing more
    assert (a.json()["points_awarded"], b.json()["points_awarded"]) == (50, 50)
    assert _points(db, shop) == [(50, "payment plan installment paid on time")]
    with clock.frozen(datetime(2026, 3, 5, 4, 0, tzinfo=UTC)):  # the second was due 28 February
        c = pay(client, shop, plan["id"], "LATE", 90_000)
    assert (c.json()["points_awarded"], c.json()["remaining"]) == (0, 0)
    assert _points(db, shop) == [(50, "payment plan installment paid on time")]

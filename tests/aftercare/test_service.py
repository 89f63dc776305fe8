"""After-sales service: schedules by months and kilometres, the visit log, due lists, reminders
once per due date, and free inspections as a tier perk used once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars import daily
from regulars.aftercare.service import add_months
from regulars.db import Database
from regulars.kit import clock
from regulars.kit.context import SYSTEM, Ctx
from regulars.loyalty import service as loyalty
from regulars.loyalty.program import Program, Tier, Tiers
from regulars.messaging.models import OutboxMessage
from tests.events.helpers import buy
from tests.factories import Shop, make_customer, make_merchant

API = "/api/v1"
TZ = ZoneInfo("Asia/Vientiane")


def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ).astimezone(UTC)  # type: ignore[misc]


def _dealer(db: Database) -> Shop:
    return make_merchant(db, name="Vientiane Motors", country="LA", currency="LAK",
                         timezone="Asia/Vientiane", locale="lo")  # fmt: skip


def _schedule(client: TestClient, shop: Shop, customer_id: Any, **fields: Any) -> dict[str, Any]:
    body = {
        "customer_id": str(customer_id),
        "item": "Toyota Vios ກຂ 1234",
        "service": "Oil change",
        "every_months": 6,
        "every_km": 5000,
        "start_on": "2026-06-30",
        "odometer_km": 12000,
    } | fields
    r = client.post(f"{API}/service-schedules", json=body, headers=shop.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_months_clamp_to_the_end_of_the_month() -> None:
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 1, 15), 12) == date(2027, 1, 15)


def test_a_schedule_answers_its_next_due_date_and_distance(
    client: TestClient, db: Database
) -> None:
    shop = _dealer(db)
    made = _schedule(client, shop, make_customer(db, shop, name="ທ້າວ ສົມພອນ").id)
    assert (made["next_due_on"], made["next_due_km"]) == ("2026-12-30", 17000)


def test_a_visit_moves_the_due_date_and_distance_and_is_logged(
    client: TestClient, db: Database
) -> None:
    shop = _dealer(db)
    made = _schedule(client, shop, make_customer(db, shop, name="ທ້າວ ສົມພອນ").id)
    with clock.frozen(_at(2026, 11, 20, 10, 0)):
        r = client.post(
            f"{API}/service-schedules/{made['id']}/visits",
            json={"odometer_km": 16200, "notes": "Oil and filter"},
            headers=shop.headers,
        )
    assert r.status_code == 201, r.text
    got = client.get(f"{API}/service-schedules/{made['id']}", headers=shop.headers).json()
    assert (got["last_service_on"], got["next_due_on"], got["next_due_km"]) == (
        "2026-11-20",
        "2027-05-20",
        21200,
    )
    assert [(v["odometer_km"], v["notes"]) for v in got["visits"]] == [(16200, "Oil and filter")]


def test_bad_schedules_and_visits_name_the_field_and_write_nothing(
    client: TestClient, db: Database
) -> None:
    shop = _dealer(db)
    member = make_customer(db, shop, name="ທ້າວ ສົມພອນ")
    for fields, field in (
        ({"every_months": None, "every_km": None}, "every_months"),
        ({"odometer_km": None}, "odometer_km"),
        ({"every_months": 0}, "every_months"),
    ):
        body = {"customer_id": str(member.id), "item": "Car", "service": "Oil",
                "every_months": 6, "every_km": 5000, "odometer_km": 100} | fields  # fmt: skip
        r = client.post(f"{API}/service-schedules", json=body, headers=shop.headers)
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, field), r.text
    made = _schedule(client, shop, member.id)
    r = client.post(
        f"{API}/service-schedules/{made['id']}/visits",
        json={"odometer_km": 11000},
        headers=shop.headers,
    )
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "odometer_km")
    got = client.get(f"{API}/service-schedules/{made['id']}", headers=shop.headers).json()
    assert (got["visits"], got["last_odometer_km"]) == ([], 12000)


def test_a_service_due_in_7_days_gets_one_reminder_even_when_the_jobs_run_twice(
    client: TestClient, db: Database
) -> None:
    shop = _dealer(db)
    member = make_customer(db, shop, name="ທ້າວ ສົມພອນ", locale="lo")
    _schedule(client, shop, member.id)  # due 2026-12-30
    _schedule(client, shop, member.id, start_on="2026-10-01", every_km=None, odometer_km=None)
    ctx = Ctx(shop.ctx.merchant, SYSTEM)
    with clock.frozen(_at(2026, 12, 23, 2, 0)):
        assert daily.run_job(db, ctx, "aftercare.remind")["reminders"] == 1
        assert daily.run_job(db, ctx, "aftercare.remind")["reminders"] == 0
    with clock.frozen(_at(2027, 1, 2, 2, 0)):  # now overdue: one more, once
        assert daily.run_job(db, ctx, "aftercare.remind")["reminders"] == 1
        assert daily.run_job(db, ctx, "aftercare.remind")["reminders"] == 0
    sent = db.run(
        lambda s: s.execute(
            select(OutboxMessage.kind, OutboxMessage.locale, OutboxMessage.body).order_by(
                OutboxMessage.created_at
            )
        ).all(),
        write=False,
    )
    assert [(k, lang) for k, lang, _b in sent] == [("service_due", "lo"), ("service_overdue", "lo")]
    assert "Toyota Vios" in sent[0][2] and "Oil change" in sent[0][2]


def test_a_gold_member_gets_a_free_inspection_a_year_used_once_at_a_visit(
    client: TestClient, db: Database
) -> None:
    shop = _dealer(db)
    program = Program(
        tiers=Tiers(
            levels=[
                Tier(code="member", name="Member", min_spend=0),
                Tier(code="gold", name="Gold", min_spend=100_000, free_inspections_per_year=2),
            ]
        )
    )
    db.run(lambda s: loyalty.save_program(s, shop.ctx, program))
    member = make_customer(db, shop, name="ທ້າວ ສົມພອນ")
    buy(db, shop, member.id, 100_000, "CAR-1")
    made = _schedule(client, shop, member.id)
    ctx = Ctx(shop.ctx.merchant, SYSTEM)
    assert daily.run_job(db, ctx, "aftercare.perks")["inspections"] == 2
    assert daily.run_job(db, ctx, "aftercare.perks")["inspections"] == 0
    from regulars.loyalty import inspections

    codes = db.run(
        lambda s: [v.code for v in inspections.open_for(s, shop.ctx, member.id)], write=False
    )
    assert len(codes) == 2
    visit = {"odometer_km": 15000, "voucher_code": codes[0]}
    url = f"{API}/service-schedules/{made['id']}/visits"
    r = client.post(url, json=visit, headers=shop.headers)
    assert r.status_code == 201 and r.json()["voucher_id"] is not None
    again = client.post(url, json=visit | {"odometer_km": 15100}, headers=shop.headers)
    assert again.status_code == 409
    left = db.run(lambda s: len(inspections.open_for(s, shop.ctx, member.id)), write=False)
    assert left == 1


def test_the_due_list_puts_overdue_first(client: TestClient, db: Database) -> None:
    shop = _dealer(db)
    member = make_customer(db, shop, name="ທ້າວ ສົມພອນ")
    soon = _schedule(client, shop, member.id)  # 2026-12-30
    late = _schedule(client, shop, member.id, start_on="2026-05-01")  # 2026-11-01
    _schedule(client, shop, member.id, start_on="2026-11-01")  # 2027-05-01: not due
    with clock.frozen(_at(2026, 12, 20, 9, 0)):
        got = client.get(f"{API}/service-schedules/due?within_days=14", headers=shop.headers)
    assert [s["id"] for s in got.json()] == [late["id"], soon["id"]]

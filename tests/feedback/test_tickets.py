"""Complaint tickets over the API: deadlines in business hours, replies, status, SLA alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars import daily
from regulars.db import Database
from regulars.feedback.models import Ticket, TicketBreach
from regulars.kit import clock
from regulars.kit.context import SYSTEM, Ctx
from regulars.messaging.models import OutboxMessage
from tests.factories import Shop, make_customer, make_merchant

API = "/api/v1"
TZ = ZoneInfo("Asia/Yangon")
FRIDAY_5_30PM = datetime(2026, 12, 4, 17, 30, tzinfo=TZ)


def _open(client: TestClient, shop: Shop, customer_id: Any, **fields: Any) -> dict[str, Any]:
    body = {
        "customer_id": str(customer_id),
        "category": "product",
        "priority": "urgent",
        "subject": "Cake was stale",
    } | fields
    r = client.post(f"{API}/tickets", json=body, headers=shop.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _count(db: Database, table: Any) -> int:
    return int(db.run(lambda s: s.scalar(select(func.count()).select_from(table)), write=False))


def test_a_ticket_answers_its_deadlines_in_the_shops_business_hours(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Daw Hla")
    with clock.frozen(FRIDAY_5_30PM.astimezone(UTC)):
        made = _open(client, shop, member.id, body="The cake I bought today was stale.")
    first = datetime.fromisoformat(made["first_response_due_at"]).astimezone(TZ)
    resolution = datetime.fromisoformat(made["resolution_due_at"]).astimezone(TZ)
    assert first == datetime(2026, 12, 5, 9, 30, tzinfo=TZ)  # 60 minutes: 30 today, 30 Saturday
    assert resolution == datetime(2026, 12, 5, 16, 30, tzinfo=TZ)  # 480: 30 today, 450 Saturday
    assert (made["status"], made["first_responded_at"]) == ("open", None)
    got = client.get(f"{API}/tickets/{made['id']}", headers=shop.headers).json()
    assert [m["body"] for m in got["messages"]] == ["The cake I bought today was stale."]


def test_the_first_staff_reply_is_the_first_response_and_resolving_stamps_it(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Daw Hla")
    made = _open(client, shop, member.id, priority="normal")
    r = client.post(
        f"{API}/tickets/{made['id']}/messages",
        json={"body": "Sorry! Come by for a fresh one."},
        headers=shop.headers,
    )
    assert r.status_code == 201, r.text
    got = client.get(f"{API}/tickets/{made['id']}", headers=shop.headers).json()
    assert got["first_responded_at"] is not None
    r = client.patch(
        f"{API}/tickets/{made['id']}", json={"status": "resolved"}, headers=shop.headers
    )
    assert (r.json()["status"], r.json()["resolved_at"] is not None) == ("resolved", True)
    # The customer writes again: the ticket opens again.
    client.post(
        f"{API}/tickets/{made['id']}/messages",
        json={"body": "Still not fixed", "author_type": "customer"},
        headers=shop.headers,
    )
    got = client.get(f"{API}/tickets/{made['id']}", headers=shop.headers).json()
    assert (got["status"], got["resolved_at"]) == ("open", None)


def test_bad_tickets_are_refused_naming_the_field_and_write_nothing(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Daw Hla")
    cases = [
        ({"category": "weather"}, "category"),
        ({"priority": "whenever"}, "priority"),
        ({"subject": "   "}, "subject"),
    ]
    for fields, field in cases:
        body = {
            "customer_id": str(member.id),
            "category": "product",
            "priority": "high",
            "subject": "Late delivery",
        } | fields
        r = client.post(f"{API}/tickets", json=body, headers=shop.headers)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in r.json()["errors"]] == [field]
    r = client.patch(
        f"{API}/tickets/{_open(client, shop, member.id)['id']}",
        json={"assignee_id": "00000000-0000-0000-0000-000000000001"},
        headers=shop.headers,
    )
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "assignee_id")
    assert _count(db, Ticket) == 1


def test_another_merchants_ticket_is_not_found(client: TestClient, db: Database) -> None:
    shop, other = make_merchant(db), make_merchant(db, name="Other")
    made = _open(client, shop, make_customer(db, shop, name="A").id)
    assert client.get(f"{API}/tickets/{made['id']}", headers=other.headers).status_code == 404


def test_an_sla_breach_alerts_the_managers_once_even_when_the_job_runs_twice(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Daw Hla")
    with clock.frozen(FRIDAY_5_30PM.astimezone(UTC)):
        made = _open(client, shop, member.id)  # urgent: reply by Sat 09:30, resolve by 16:30
    ctx = Ctx(shop.ctx.merchant, SYSTEM)
    saturday_noon = datetime(2026, 12, 5, 12, 0, tzinfo=TZ).astimezone(UTC)
    with clock.frozen(saturday_noon):
        first = daily.run_job(db, ctx, "tickets.sla")
        again = daily.run_job(db, ctx, "tickets.sla")
    assert (first["alerts"], again["alerts"]) == (1, 0)
    with clock.frozen(saturday_noon + timedelta(days=3)):
        assert daily.run_job(db, ctx, "tickets.sla")["alerts"] == 1  # resolution now missed too
        assert daily.run_job(db, ctx, "tickets.sla")["alerts"] == 0
    kinds = db.run(lambda s: sorted(s.scalars(select(TicketBreach.kind)).all()), write=False)
    assert kinds == ["first_response", "resolution"]
    alerts = db.run(
        lambda s: s.execute(
            select(OutboxMessage.address, OutboxMessage.payload, OutboxMessage.channel).where(
                OutboxMessage.kind == "sla_breach"
            )
        ).all(),
        write=False,
    )
    assert sorted(p["breach"] for _a, p, _c in alerts) == ["first_response", "resolution"]
    assert {a for a, _p, _c in alerts} == {shop.owner_email}
    assert {c for _a, _p, c in alerts} == {"email"}
    assert all(p["ticket_id"] == made["id"] for _a, p, _c in alerts)


def test_figures_give_the_median_first_response_and_the_share_within_sla(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Daw Hla")
    monday_10 = datetime(2026, 12, 7, 10, 0, tzinfo=TZ).astimezone(UTC)
    ids = []
    for minutes in (30, 90, 600):  # urgent target: 60 business minutes
        with clock.frozen(monday_10):
            ids.append(_open(client, shop, member.id)["id"])
        with clock.frozen(monday_10 + timedelta(minutes=minutes)):
            client.post(
                f"{API}/tickets/{ids[-1]}/messages", json={"body": "On it"}, headers=shop.headers
            )
    with clock.frozen(monday_10 + timedelta(hours=12)):
        got = client.get(
            f"{API}/tickets/figures?from=2026-12-07&to=2026-12-07", headers=shop.headers
        ).json()
    # 600 minutes after 10:00 Monday is 20:00: 480 business minutes (10:00-18:00).
    assert got["tickets"] == 3
    assert got["median_first_response_minutes"] == 90
    assert got["first_response_within_sla_percent"] == 33

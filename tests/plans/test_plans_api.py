"""Payment plans over the API: offers, eligibility with reasons, the schedule, payments and every
refusal as problem+json naming the field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.db import Database
from regulars.kit import clock
from regulars.plans.models import PaymentPlan, PlanPayment
from tests.factories import make_customer, make_merchant
from tests.plans.helpers import API, OFFER, create_offer, create_plan, pay, regular

JAN = datetime(2026, 1, 20, 4, 0, tzinfo=UTC)


def _count(db: Database, table: Any) -> int:
    return int(db.run(lambda s: s.scalar(select(func.count()).select_from(table)), write=False))


def _problem(r: Any, status: int, field: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = dict(r.json())
    assert field in [e["field"] for e in body["errors"]], body
    return body


def test_an_offer_is_created_listed_read_and_patched(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    made = create_offer(client, shop)
    assert {k: made[k] for k in OFFER} == OFFER
    assert (made["currency"], made["max_open_plans"], made["late_days"], made["active"]) == (
        "MMK", 1, 7, True,
    )  # fmt: skip
    listed = client.get(f"{API}/payment-plan-offers", headers=shop.headers).json()
    assert [o["id"] for o in listed] == [made["id"]]
    r = client.patch(
        f"{API}/payment-plan-offers/{made['id']}", json={"fee": 0, "active": False},
        headers=shop.headers,
    )  # fmt: skip
    assert (r.status_code, r.json()["fee"], r.json()["active"]) == (200, 0, False)
    got = client.get(f"{API}/payment-plan-offers/{made['id']}", headers=shop.headers).json()
    assert (got["fee"], got["installments"]) == (0, 12)


def test_offer_refusals_name_the_field(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    r = client.post(
        f"{API}/payment-plan-offers", json=OFFER | {"max_price": 10}, headers=shop.headers
    )
    _problem(r, 422, "max_price")
    r = client.post(
        f"{API}/payment-plan-offers", json=OFFER | {"installments": 0}, headers=shop.headers
    )
    _problem(r, 422, "installments")
    made = create_offer(client, shop)
    r = client.post(f"{API}/payment-plan-offers", json=OFFER, headers=shop.headers)
    _problem(r, 422, "name")
    r = client.patch(
        f"{API}/payment-plan-offers/{made['id']}", json={"min_price": 9_000_000},
        headers=shop.headers,
    )  # fmt: skip
    _problem(r, 422, "max_price")
    assert (
        client.get(f"{API}/payment-plan-offers/{made['id']}", headers=shop.headers).json()[
            "min_price"
        ]
        == 100_000
    )
    cashier = shop.key_for(db, "cashier")
    r = client.post(f"{API}/payment-plan-offers", json=OFFER | {"name": "X"}, headers=cashier)
    assert r.status_code == 403


def test_a_plan_schedule_sums_to_principal_and_fee_with_month_end_clamping(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Daw Mya")
    regular(db, shop, member.id)
    offer = create_offer(client, shop, installments=4, fee=1_001)
    with clock.frozen(JAN):
        plan = create_plan(client, shop, member.id, offer["id"], principal=1_000_003)
    # down = floor(10% of 1,000,003) = 100,000; the rest 901,004 in 4: 225,251 each, 0 left over
    sched = [(s["due_on"], s["amount"], s["paid"], s["down_payment"]) for s in plan["schedule"]]
    assert sched == [
        ("2026-01-31", 100_000, 0, True),
        ("2026-02-28", 225_251, 0, False),
        ("2026-03-31", 225_251, 0, False),
        ("2026-04-30", 225_251, 0, False),
        ("2026-05-31", 225_251, 0, False),
    ]
    assert (plan["total"], plan["remaining"], plan["status"]) == (1_001_004, 1_001_004, "open")
    assert sum(s["amount"] for s in plan["schedule"]) == 1_000_003 + 1_001


def test_the_remainder_goes_one_unit_each_to_the_first_installments(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop)
    regular(db, shop, member.id)
    offer = create_offer(client, shop, installments=3, fee=0, down_payment_percent=0,
                         interval_months=2)  # fmt: skip
    with clock.frozen(JAN):
        plan = create_plan(client, shop, member.id, offer["id"], principal=100_001,
                           first_due="2026-02-29" if False else "2026-02-28")  # fmt: skip
    assert [(s["due_on"], s["amount"]) for s in plan["schedule"]] == [
        ("2026-02-28", 33_334), ("2026-04-28", 33_334), ("2026-06-28", 33_333),
    ]  # fmt: skip


def test_eligibility_gives_each_reason_in_the_customers_language(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    newcomer = make_customer(db, shop, name="Ali", locale="ur")
    offer = create_offer(client, shop, min_spend=1_000_000)
    r = client.get(f"{API}/customers/{newcomer.id}/payment-plan-offers", headers=shop.headers)
    assert r.status_code == 200, r.text
    (choice,) = r.json()["data"]
    assert choice["eligible"] is False
    assert [x["code"] for x in choice["reasons"]] == ["min_visits", "min_spend"]
    assert (
        choice["reasons"][0]["message"]
        != "This plan is for customers with more visits to the shop."
    )
    assert (r.json()["visits"], r.json()["lifetime_spend"]) == (0, 0)
    with clock.frozen(JAN):
        r = client.post(
            f"{API}/payment-plans",
            json={"customer_id": str(newcomer.id), "offer_id": offer["id"], "principal": 200_000,
                  "first_due": "2026-02-01"},
            headers=shop.headers,
        )  # fmt: skip
    body = _problem(r, 409, "customer_id")
    assert body["type"].endswith("not-eligible")
    assert [e["code"] for e in body["errors"]] == ["min_visits", "min_spend"]
    assert _count(db, PaymentPlan) == 0


def test_the_open_plan_limit_and_an_overdue_installment_refuse_a_second_plan(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop)
    regular(db, shop, member.id)
    offer = create_offer(client, shop)
    with clock.frozen(JAN):
        create_plan(client, shop, member.id, offer["id"])
        r = client.get(f"{API}/customers/{member.id}/payment-plan-offers", headers=shop.headers)
    assert [x["code"] for x in r.json()["data"][0]["reasons"]] == ["open_plans"]
    assert r.json()["open_plans"] == 1


def test_plan_refusals_name_the_field_and_write_nothing(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop)
    regular(db, shop, member.id)
    offer = create_offer(client, shop)
    base = {"customer_id": str(member.id), "offer_id": offer["id"], "principal": 200_000,
            "first_due": "2026-02-01"}  # fmt: skip
    cases = [
        ({"principal": 99_999}, 422, "principal"),
        ({"principal": 5_000_001}, 422, "principal"),
        ({"first_due": "2026-01-19"}, 422, "first_due"),
        ({"offer_id": "018f0000-0000-7000-8000-000000000000"}, 404, "offer_id"),
        ({"customer_id": "018f0000-0000-7000-8000-000000000000"}, 404, "customer_id"),
        ({"principal": -1}, 422, "principal"),
    ]
    with clock.frozen(JAN):
        for change, status, field in cases:
            r = client.post(f"{API}/payment-plans", json=base | change, headers=shop.headers)
            _problem(r, status, field)
    assert _count(db, PaymentPlan) == 0


def test_payments_partial_exact_and_early_fill_the_oldest_installments_first(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop)
    regular(db, shop, member.id)
    offer = create_offer(client, shop, installments=3, fee=0, down_payment_percent=0)
    with clock.frozen(JAN):
        plan = create_plan(client, shop, member.id, offer["id"], principal=300_000)
        r = pay(client, shop, plan["id"], "P-1", 40_000)  # partial
        assert r.status_code == 201, r.text
        assert (r.json()["remaining"], r.json()["applied"]) == (
            260_000,
            [{"seq": 0, "amount": 40_000}],
        )
        r = pay(client, shop, plan["id"], "P-2", 160_000)  # the rest of the first and the second
        assert r.json()["applied"] == [{"seq": 0, "amount": 60_000}, {"seq": 1, "amount": 100_000}]
        sched = r.json()["plan"]["schedule"]
        assert [(s["paid"], s["status"], s["paid_on"]) for s in sched] == [
            (100_000, "paid", "2026-01-20"), (100_000, "paid", "2026-01-20"), (0, "open", None),
        ]  # fmt: skip
        r = pay(client, shop, plan["id"], "P-3", 100_000)  # exact
        assert (r.json()["remaining"], r.json()["plan"]["status"]) == (0, "completed")


def test_a_replayed_payment_id_returns_the_same_answer_and_changes_nothing(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop)
    regular(db, shop, member.id)
    offer = create_offer(client, shop)
    with clock.frozen(JAN):
        plan = create_plan(client, shop, member.id, offer["id"])
        first = pay(client, shop, plan["id"], "TILL-9", 50_000)
        again = pay(client, shop, plan["id"], "TILL-9", 50_000)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    got = client.get(f"{API}/payment-plans/{plan['id']}", headers=shop.headers).json()
    assert (got["paid"], _count(db, PlanPayment)) == (50_000, 1)
    other = pay(client, shop, plan["id"], "TILL-9", 60_000)
    body = _problem(other, 409, "payment_id")
    assert body["type"].endswith("payment-id-reused")
    assert (
        client.get(f"{API}/payment-plans/{plan['id']}", headers=shop.headers).json()["paid"]
        == 50_000
    )


def test_an_overpayment_is_refused_naming_amount_and_writes_nothing(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop)
    regular(db, shop, member.id)
    offer = create_offer(client, shop)
    with clock.frozen(JAN):
        plan = create_plan(client, shop, member.id, offer["id"])
        r = pay(client, shop, plan["id"], "BIG", plan["total"] + 1)
    body = _problem(r, 422, "amount")
    assert str(plan["total"]) in body["detail"]
    assert _count(db, PlanPayment) == 0
    _problem(pay(client, shop, plan["id"], "ZERO", 0), 422, "amount")
    _problem(pay(client, shop, plan["id"], "", 10), 422, "payment_id")


def test_the_idempotency_key_replays_a_plan_creation(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop)
    regular(db, shop, member.id)
    offer = create_offer(client, shop)
    body = {"customer_id": str(member.id), "offer_id": offer["id"], "principal": 200_000,
            "first_due": "2026-02-01"}  # fmt: skip
    headers = shop.headers | {"Idempotency-Key": "plan-1"}
    with clock.frozen(JAN):
        a = client.post(f"{API}/payment-plans", json=body, headers=headers)
        b = client.post(f"{API}/payment-plans", json=body, headers=headers)
    assert (a.status_code, b.status_code, b.headers.get("idempotent-replayed")) == (
        201,
        201,
        "true",
    )
    assert a.json() == b.json()
    assert _count(db, PaymentPlan) == 1


def test_another_merchants_plan_is_a_404(client: TestClient, db: Database) -> None:
    shop, other = make_merchant(db), make_merchant(db, name="Other")
    member = make_customer(db, shop)
    regular(db, shop, member.id)
    offer = create_offer(client, shop)
    with clock.frozen(JAN):
        plan = create_plan(client, shop, member.id, offer["id"])
    assert client.get(f"{API}/payment-plans/{plan['id']}", headers=other.headers).status_code == 404
    assert pay(client, other, plan["id"], "X", 1).status_code == 404
    r = client.get(f"{API}/customers/{member.id}/payment-plans", headers=other.headers)
    assert r.status_code == 404
    mine = client.get(f"{API}/customers/{member.id}/payment-plans", headers=shop.headers).json()
    assert [p["id"] for p in mine] == [plan["id"]]

"""Points expire oldest first, once, and the warning query sees them coming."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from regulars import daily
from regulars.checkout import service as checkout
from regulars.checkout.schemas import CheckoutIn
from regulars.cli import app as cli
from regulars.db import Database
from regulars.kit import clock
from regulars.loyalty import ledger
from regulars.loyalty import service as loyalty
from regulars.loyalty.program import EarnRule, Program
from regulars.loyalty.schemas import AdjustmentCreate
from tests.factories import make_customer, make_merchant

JAN = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)


def buy(db: Database, shop, cust, receipt: str, amount: int) -> None:  # type: ignore[no-untyped-def]
    body = CheckoutIn.model_validate(
        {
            "receipt_id": receipt,
            "customer": {"id": str(cust.id)},
            "lines": [{"sku": "CAKE", "quantity": 1, "unit_price": amount}],
        }
    )
    db.run(lambda s: checkout.commit(s, shop.ctx, body))


def test_oldest_points_expire_first_and_only_once(db: Database) -> None:
    shop = make_merchant(db)
    program = Program(earn=EarnRule(points=1, per_amount=1000), expiry_months=6)
    db.run(lambda s: loyalty.save_program(s, shop.ctx, program))
    cust = make_customer(db, shop, phone="09 7812 34567")
    with clock.frozen(JAN):
        buy(db, shop, cust, "R-1", 40_000)  # 40 points, expire 2026-07-15 03:00
    with clock.frozen(JAN + timedelta(days=60)):
        buy(db, shop, cust, "R-2", 25_000)  # 25 points, expire 2026-09-16
        db.run(
            lambda s: loyalty.adjust(
                s,
                shop.ctx,
                cust.id,
                AdjustmentCreate(points=-30, reason="paid a cake with points by hand"),
            )
        )
    with clock.frozen(datetime(2026, 6, 20, tzinfo=UTC)):
        soon = db.run(lambda s: ledger.expiring_within(s, shop.ctx, cust.id, 30), write=False)
        assert soon == 10  # the 30 spent came out of the oldest lot
    with clock.frozen(datetime(2026, 7, 16, tzinfo=UTC)):
        assert daily.run_job(db, shop.ctx, "points.expire") == {"customers": 1, "points": 10}
        assert daily.run_job(db, shop.ctx, "points.expire") == {"customers": 0, "points": 0}
        assert db.run(lambda s: ledger.balance(s, shop.ctx, cust.id), write=False) == 25
    with clock.frozen(datetime(2026, 9, 17, tzinfo=UTC)):
        assert daily.run_job(db, shop.ctx, "points.expire") == {"customers": 1, "points": 25}
        assert db.run(lambda s: ledger.balance(s, shop.ctx, cust.id), write=False) == 0
        assert db.run(lambda s: loyalty.ledger_sum(s, shop.ctx, cust.id), write=False) == 0


def test_expire_command_runs_for_every_merchant(db: Database, database_url: str) -> None:
    shop = make_merchant(db)
    program = Program(earn=EarnRule(points=1, per_amount=1000), expiry_months=1)
    db.run(lambda s: loyalty.save_program(s, shop.ctx, program))
    cust = make_customer(db, shop, phone="09 7812 34567")
    with clock.frozen(JAN):
        buy(db, shop, cust, "R-1", 12_000)
    with clock.frozen(JAN + timedelta(days=40)):
        result = CliRunner().invoke(cli, ["expire"], env={"REGULARS_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert {"merchant": shop.ctx.merchant.slug, "customers": 1, "points": 12} in lines


def test_summary_api_counts_points_expiring_within_the_days_asked(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    program = Program(earn=EarnRule(points=1, per_amount=1000), expiry_months=6)
    db.run(lambda s: loyalty.save_program(s, shop.ctx, program))
    cust = make_customer(db, shop, phone="09 7812 34567")
    with clock.frozen(JAN):
        buy(db, shop, cust, "R-1", 40_000)  # 40 points, expire 2026-07-15
    with clock.frozen(JAN + timedelta(days=60)):
        buy(db, shop, cust, "R-2", 25_000)  # 25 points, expire 2026-09-16
    url = f"/api/v1/customers/{cust.id}/loyalty"

    with clock.frozen(datetime(2026, 6, 20, tzinfo=UTC)):
        default = client.get(url, headers=shop.headers).json()
        ninety = client.get(url, params={"expiring_days": 90}, headers=shop.headers).json()
        bad = client.get(url, params={"expiring_days": 0}, headers=shop.headers)

    assert (default["expiring_soon"], default["expiring_days"]) == (40, 30)
    assert (ninety["expiring_soon"], ninety["expiring_days"]) == (65, 90)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "expiring_days"

"""The daily jobs: once per merchant per local day, claimed in the database, run by the server."""

from __future__ import annotations

import gc
import json
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from regulars import daily
from regulars.checkout import service as checkout
from regulars.checkout.schemas import CheckoutIn
from regulars.cli import app as cli
from regulars.db import Database
from regulars.kit import clock
from regulars.loyalty import ledger
from regulars.loyalty import service as loyalty
from regulars.loyalty.models import PointsEntry
from regulars.loyalty.program import EarnRule, Program
from regulars.merchants.models import ScheduledRun
from regulars.serve import create_served_app
from tests.factories import Shop, make_customer, make_merchant

JAN = datetime(2026, 1, 10, 4, 0, tzinfo=UTC)
JOBS = sorted(daily.JOBS)


def shop_with_points_due(db: Database, **merchant: Any) -> tuple[Shop, Any]:
    """A merchant whose points expire after a month and a customer who earned 40 in January."""
    shop = make_merchant(db, **merchant)
    program = Program(earn=EarnRule(points=1, per_amount=1000), expiry_months=1)
    db.run(lambda s: loyalty.save_program(s, shop.ctx, program))
    cust = make_customer(db, shop, name="Daw Hla")
    body = CheckoutIn.model_validate(
        {
            "receipt_id": "R-1",
            "customer": {"id": str(cust.id)},
            "lines": [{"sku": "CAKE", "quantity": 1, "unit_price": 40_000}],
        }
    )
    with clock.frozen(JAN):
        db.run(lambda s: checkout.commit(s, shop.ctx, body))
    return shop, cust


def expire_entries(db: Database, shop: Shop) -> list[int]:
    q = select(PointsEntry.points).where(
        PointsEntry.merchant_id == shop.id, PointsEntry.kind == "expire"
    )
    return list(db.run(lambda s: s.scalars(q).all(), write=False))


def runs(db: Database, shop: Shop) -> list[tuple[str, date, bool]]:
    q = select(ScheduledRun.job, ScheduledRun.run_date, ScheduledRun.finished_at).where(
        ScheduledRun.merchant_id == shop.id
    )
    found = db.run(
        lambda s: s.execute(q.order_by(ScheduledRun.run_date, ScheduledRun.job)).all(), write=False
    )
    return [(job, day, finished is not None) for job, day, finished in found]


def test_the_due_day_is_the_merchants_own_and_turns_at_2am() -> None:
    at = datetime(2026, 2, 19, 19, 35, tzinfo=UTC)  # Yangon 02:05 on the 20th, Lahore 00:35
    assert daily.due_date(at, "Asia/Yangon") == date(2026, 2, 20)
    assert daily.due_date(at, "Asia/Karachi") == date(2026, 2, 19)
    assert daily.due_date(at - timedelta(minutes=10), "Asia/Yangon") == date(2026, 2, 19)


def test_each_merchant_runs_each_job_once_a_local_day(db: Database) -> None:
    yangon, cust = shop_with_points_due(db)
    lahore, _ = shop_with_points_due(
        db, name="Lahore Phones", country="PK", currency="PKR", timezone="Asia/Karachi"
    )
    first = datetime(2026, 2, 19, 21, 0, tzinfo=UTC)  # Yangon 03:30 on the 20th, Lahore 02:00

    with clock.frozen(first):
        ran = daily.run_due(db)
        again = daily.run_due(db)

    assert sorted((r["merchant"], r["job"], r["run_date"]) for r in ran) == sorted(
        (shop.ctx.merchant.slug, job, "2026-02-20") for shop in (yangon, lahore) for job in JOBS
    )
    expired = next(
        r for r in ran if r["job"] == "points.expire" and r["merchant"] == yangon.ctx.merchant.slug
    )
    assert (expired["customers"], expired["points"]) == (1, 40)
    assert again == []
    assert expire_entries(db, yangon) == [-40]
    assert db.run(lambda s: ledger.balance(s, yangon.ctx, cust.id), write=False) == 0
    assert runs(db, yangon) == [(job, date(2026, 2, 20), True) for job in JOBS]

    # 23 hours on: 02:30 on the 21st in Yangon, but 01:00 in Lahore, whose 21st has not come
    with clock.frozen(first + timedelta(hours=23)):
        later = daily.run_due(db)
    assert {(r["merchant"], r["run_date"]) for r in later} == {
        (yangon.ctx.merchant.slug, "2026-02-21")
    }
    assert expire_entries(db, yangon) == [-40]  # nothing expired twice


def test_concurrent_ticks_run_each_job_once(db: Database) -> None:
    shop, _cust = shop_with_points_due(db)
    results: list[list[dict[str, Any]]] = []
    errors: list[BaseException] = []

    def tick() -> None:
        try:
            results.append(daily.run_due(db))
        except BaseException as exc:  # reported below
            errors.append(exc)

    with clock.frozen(datetime(2026, 3, 1, 6, 0, tzinfo=UTC)):
        threads = [threading.Thread(target=tick) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    assert errors == []
    ran = sorted(r["job"] for batch in results for r in batch)
    assert ran == JOBS
    assert expire_entries(db, shop) == [-40]
    assert runs(db, shop) == [(job, date(2026, 3, 1), True) for job in JOBS]


def test_a_run_left_unfinished_is_taken_again_after_an_hour(db: Database) -> None:
    shop, _cust = shop_with_points_due(db)
    now = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    day = daily.due_date(now, shop.ctx.merchant.timezone)
    started = {
        "points.expire": now - timedelta(hours=2),
        "tiers.recompute": now - timedelta(minutes=10),
    }

    def left_behind(s: Any) -> None:  # runs a process began and never finished
        for job, at in started.items():
            s.add(ScheduledRun(merchant_id=shop.id, job=job, run_date=day, started_at=at))

    db.run(left_behind)
    with clock.frozen(now):
        ran = daily.run_due(db)

    assert sorted(r["job"] for r in ran) == [
        "analytics.refresh", "idempotency.purge", "points.expire"
    ]  # fmt: skip
    assert expire_entries(db, shop) == [-40]
    assert runs(db, shop) == [
        ("analytics.refresh", day, True),
        ("idempotency.purge", day, True),
        ("points.expire", day, True),
        ("tiers.recompute", day, False),  # another process may still be on it
    ]


def _served_app(settings: Any, monkeypatch: pytest.MonkeyPatch, jobs: str) -> Any:
    monkeypatch.setenv("REGULARS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REGULARS_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("REGULARS_SECRET_KEY", "test-secret")
    monkeypatch.setenv("REGULARS_DAILY_JOBS", jobs)
    return create_served_app()


def test_the_server_runs_the_daily_jobs_while_it_serves(
    db: Database, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop, _cust = shop_with_points_due(db)  # January's points are long due by the real clock
    app = _served_app(settings, monkeypatch, "on")
    try:
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200
            deadline = time.monotonic() + 30
            while len(runs(db, shop)) < len(JOBS) or not all(done for *_, done in runs(db, shop)):
                assert time.monotonic() < deadline, runs(db, shop)
                time.sleep(0.05)
            assert "daily-jobs" in {t.name for t in threading.enumerate()}
        assert "daily-jobs" not in {t.name for t in threading.enumerate()}  # stopped with it
    finally:
        app.state.db.dispose()
        gc.unfreeze()
    assert expire_entries(db, shop) == [-40]


def test_the_daily_jobs_can_be_left_to_an_outside_scheduler(
    db: Database, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop, _cust = shop_with_points_due(db)
    app = _served_app(settings, monkeypatch, "off")
    try:
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200
            assert "daily-jobs" not in {t.name for t in threading.enumerate()}
    finally:
        app.state.db.dispose()
        gc.unfreeze()
    count = select(func.count()).select_from(ScheduledRun)
    assert db.run(lambda s: s.scalar(count), write=False) == 0
    assert expire_entries(db, shop) == []


def test_regulars_daily_runs_what_is_due_once(db: Database, database_url: str) -> None:
    shop, _cust = shop_with_points_due(db)
    env = {"REGULARS_DATABASE_URL": database_url}

    first = CliRunner().invoke(cli, ["daily"], env=env)
    second = CliRunner().invoke(cli, ["daily"], env=env)

    assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
    lines = [json.loads(line) for line in first.stdout.splitlines()]  # the log is on stderr
    assert sorted(line["job"] for line in lines) == JOBS
    assert {"customers": 1, "points": 40}.items() <= next(
        line for line in lines if line["job"] == "points.expire"
    ).items()
    assert second.stdout == ""
    assert expire_entries(db, shop) == [-40]


def test_a_failing_job_is_left_for_later_and_the_others_still_run(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop, _cust = shop_with_points_due(db)

    def broken(_db: Database, _ctx: Any) -> dict[str, int]:
        raise RuntimeError("the job broke")

    monkeypatch.setitem(daily.JOBS, "tiers.recompute", broken)
    now = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    with clock.frozen(now):
        ran = daily.run_due(db)

    assert sorted(r["job"] for r in ran) == [
        "analytics.refresh", "idempotency.purge", "points.expire"
    ]  # fmt: skip
    assert expire_entries(db, shop) == [-40]
    day = daily.due_date(now, shop.ctx.merchant.timezone)
    assert ("tiers.recompute", day, False) in runs(db, shop)  # taken again after an hour

"""`GET /metrics`: Prometheus text that Prometheus's own parser reads, with the counters moving
after a sale; answered to this machine only, or to the holder of the token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from regulars import daily
from regulars.app import create_app
from regulars.db import Database
from regulars.ops import metrics
from regulars.settings import Settings
from tests.factories import make_customer, make_merchant
from tests.ops.load import sale

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient, **headers: str) -> Samples:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_the_counters_move_after_a_sale(db: Database, client: TestClient) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop, phone="09 7812 34567")
    before = scrape(client)

    sold = client.post("/api/v1/checkout", json=sale("R-1", customer.id), headers=shop.headers)
    replayed = client.post("/api/v1/checkout", json=sale("R-1", customer.id), headers=shop.headers)
    looked = client.get(f"/api/v1/customers/{customer.id}", headers=shop.headers)
    missing = client.get("/no/such/page")
    after = scrape(client)

    assert (sold.status_code, replayed.status_code, looked.status_code) == (201, 200, 200)
    assert missing.status_code == 404
    earned = sold.json()["points_earned"]
    assert earned == 9  # 9,000 MMK at the default program's 1 point per 1,000
    moved = {
        name: value(after, name) - value(before, name)
        for name in (
            "regulars_sales_committed_total",
            "regulars_points_issued_total",
            "regulars_points_redeemed_total",
        )
    }
    assert moved == {
        "regulars_sales_committed_total": 1,  # the replay is not a second sale
        "regulars_points_issued_total": earned,
        "regulars_points_redeemed_total": 0,
    }
    requests = "regulars_http_requests_total"
    lane = {"method": "POST", "route": "/api/v1/checkout"}
    assert (
        value(after, requests, **lane, status="201") - value(before, requests, **lane, status="201")
        == 1
    )
    assert (
        value(after, requests, **lane, status="200") - value(before, requests, **lane, status="200")
        == 1
    )
    templated = {"method": "GET", "route": "/api/v1/customers/{customer_id}", "status": "200"}
    assert value(after, requests, **templated) - value(before, requests, **templated) == 1
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert value(after, requests, **unmatched) - value(before, requests, **unmatched) == 1
    count = "regulars_http_request_duration_seconds_count"
    assert (
        value(after, count, **lane, status="201") - value(before, count, **lane, status="201") == 1
    )
    inf = {**lane, "status": "201", "le": "+Inf"}
    assert value(after, "regulars_http_request_duration_seconds_bucket", **inf) == value(
        after, count, **lane, status="201"
    )
    engine = "sqlite" if db.is_sqlite else "postgresql"
    assert value(after, "regulars_info", version="0.1.0", engine=engine) == 1
    assert ("regulars_db_pool_size", ()) in after
    assert ("regulars_db_pool_connections", (("state", "checked_out"),)) in after
    assert ("regulars_outbox_depth", ()) in after  # read from the outbox table


def test_daily_job_runs_are_counted(db: Database, client: TestClient) -> None:
    make_merchant(db)
    before = scrape(client)
    ran = daily.run_due(db)
    after = scrape(client)
    assert len(ran) == len(daily.JOBS)
    for name in daily.JOBS:
        runs = "regulars_daily_job_runs_total"
        assert value(after, runs, job=name) - value(before, runs, job=name) == 1


def _outbox(_session: Session) -> Iterator[Any]:
    depth = GaugeMetricFamily("regulars_outbox_depth", "Messages waiting in the outbox")
    depth.add_metric([], 3)
    yield depth


def test_a_domain_adds_its_gauges_read_at_scrape_time(db: Database, client: TestClient) -> None:
    default = metrics.SOURCES["outbox"]
    metrics.source("outbox", _outbox)
    try:
        assert value(scrape(client), "regulars_outbox_depth") == 3
    finally:
        metrics.source("outbox", default)


def test_without_a_token_only_this_machine_is_answered(client: TestClient) -> None:
    relayed = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert relayed.status_code == 403
    assert relayed.headers["content-type"] == "application/problem+json"
    assert "REGULARS_METRICS_TOKEN" in relayed.json()["detail"]
    outside = TestClient(client.app, client=("203.0.113.9", 5000))
    assert outside.get("/metrics").status_code == 403


def test_with_a_token_the_bearer_is_answered_from_anywhere(
    settings: Settings, db: Database
) -> None:
    app = create_app(Settings(**(settings.__dict__ | {"metrics_token": "s3cret"})), db)
    with TestClient(app, client=("203.0.113.9", 5000)) as outside:
        assert outside.get("/metrics").status_code == 401
        wrong = outside.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert scrape(outside, Authorization="Bearer s3cret")

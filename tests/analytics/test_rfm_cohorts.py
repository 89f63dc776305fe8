from __future__ import annotations

from fastapi.testclient import TestClient

from regulars import daily
from regulars.analytics import rfm
from regulars.db import Database
from regulars.kit import clock
from tests.analytics.helpers import API, NOW, at, history, sell
from tests.factories import make_customer, make_merchant


def test_the_daily_job_scores_every_buyer_and_names_the_segment(
    client: TestClient, db: Database
) -> None:
    h = history(client, db)
    with clock.frozen(NOW):
        assert daily.run_job(db, h.shop.ctx, "analytics.refresh") == {
            "merchants": 1, "customers_scored": 5,
        }  # fmt: skip
        r = client.get(f"{API}/analytics/rfm/customers?limit=200", headers=h.shop.headers)
    assert r.status_code == 200, r.text
    names = {v: k for k, v in h.people.items()}
    got = {
        names[__import__("uuid").UUID(row["customer_id"])]: (
            row["r"],
            row["f"],
            row["m"],
            row["segment"],
            row["purchases"],
            row["monetary"],
        )
        for row in r.json()["data"]
    }
    assert got == {
        "A": (3, 4, 5, "loyal", 2, 30_000),
        "B": (5, 4, 4, "champions", 2, 12_000),
        "C": (4, 1, 1, "new", 1, 3_000),
        "D": (2, 1, 3, "hibernating", 1, 8_000),
        "E": (1, 1, 2, "lost", 1, 4_000),
    }


def test_the_segment_summary_the_filter_and_one_customer(client: TestClient, db: Database) -> None:
    h = history(client, db)
    never = make_customer(db, h.shop, name="Window shopper")
    with clock.frozen(NOW):
        client.post(f"{API}/analytics/refresh", headers=h.shop.headers).raise_for_status()
        daily.run_job(db, h.shop.ctx, "analytics.refresh")  # twice: the same result
        summary = client.get(f"{API}/analytics/rfm", headers=h.shop.headers).json()
        lost = client.get(f"{API}/analytics/rfm/customers?segment=lost", headers=h.shop.headers)
        one = client.get(f"{API}/analytics/rfm/customers/{h.people['B']}", headers=h.shop.headers)
        none = client.get(f"{API}/analytics/rfm/customers/{never.id}", headers=h.shop.headers)
        bad = client.get(f"{API}/analytics/rfm/customers?segment=vip", headers=h.shop.headers)
    counts = {s["segment"]: s["customers"] for s in summary["segments"]}
    assert counts == {"champions": 1, "loyal": 1, "potential_loyalists": 0, "new": 1,
                      "at_risk": 0, "cant_lose": 0, "hibernating": 1, "lost": 1}  # fmt: skip
    assert summary["computed_at"] == "2026-06-30T05:30:00Z"
    assert [row["customer_id"] for row in lost.json()["data"]] == [str(h.people["E"])]
    assert (one.status_code, one.json()["segment"]) == (200, "champions")
    assert none.status_code == 404
    assert bad.status_code == 422
    seg = db.run(lambda s: rfm.rfm_segment_of(s, h.shop.ctx, h.people["A"]), write=False)
    assert seg is not None and seg.segment == "loyal"
    ids = db.run(lambda s: list(s.scalars(rfm.customers_in(s, h.shop.ctx, "new"))), write=False)
    assert ids == [h.people["C"]]


def test_the_segment_grid() -> None:
    grid = ["".join(rfm.segment_for(r, f)[:2] for f in range(1, 6)) for r in range(5, 0, -1)]
    assert grid == ["nepopochch", "nepopololo", "hihipololo", "hihiatatca", "loloatatca"]


def test_the_cohort_matrix_by_first_purchase_month(client: TestClient, db: Database) -> None:
    h = history(client, db)
    with clock.frozen(NOW):
        empty = client.get(f"{API}/analytics/cohorts", headers=h.shop.headers).json()
        daily.run_job(db, h.shop.ctx, "analytics.refresh")
        body = client.get(f"{API}/analytics/cohorts", headers=h.shop.headers).json()
    assert empty["computed_at"] is None and empty["rows"][0]["customers"] == 0
    assert body["months"][0] == "2025-07" and body["months"][-1] == "2026-06"
    rows = {row["cohort"]: (row["customers"], row["retained"]) for row in body["rows"]}
    assert rows["2025-12"] == (1, [1, 0, 0, 0, 0, 0, 0])
    assert rows["2026-03"] == (1, [1, 0, 0, 1])
    assert rows["2026-04"] == (1, [1, 0, 0])
    assert rows["2026-06"] == (2, [2])
    assert rows["2025-07"] == (0, [0] * 12)


def test_quintiles_by_rank_with_ties_sharing_the_lower_score(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    people = [make_customer(db, shop, name=f"Buyer {i}").id for i in range(7)]
    for i, who in enumerate(people):  # one sale each, later and larger down the list
        sell(client, shop, at(f"2026-06-0{i + 1}"), 1_000 * (i + 1), who)
    with clock.frozen(NOW):
        daily.run_job(db, shop.ctx, "analytics.refresh")
    rows = db.run(
        lambda s: [(r.r, r.f, r.m, r.segment) for r in
                   (rfm.rfm_segment_of(s, shop.ctx, p) for p in people) if r],
        write=False,
    )  # fmt: skip
    # 1 + floor(5 (rank - 1) / 7) for ranks 1..7; everyone has one purchase, so F is 1
    assert rows == [
        (1, 1, 1, "lost"), (1, 1, 1, "lost"), (2, 1, 2, "hibernating"),
        (3, 1, 3, "hibernating"), (3, 1, 3, "hibernating"), (4, 1, 4, "new"), (5, 1, 5, "new"),
    ]  # fmt: skip

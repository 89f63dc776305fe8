from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.db import Database
from regulars.kit import clock
from tests.analytics.helpers import API, NOW, history


def test_kpis_of_the_last_30_days_against_the_30_before(client: TestClient, db: Database) -> None:
    h = history(client, db)
    with clock.frozen(NOW):
        r = client.get(f"{API}/analytics/kpis", headers=h.shop.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["period"] == {"from": "2026-06-01", "to": "2026-06-30"}
    assert body["previous_period"] == {"from": "2026-05-02", "to": "2026-05-31"}
    assert body["thresholds"] == {"at_risk_days": 60, "churn_days": 180}
    now = body["current"]
    assert {k: now[k] for k in (
        "sales", "revenue", "member_sales", "member_revenue", "non_member_sales",
        "non_member_revenue", "active_members", "new_customers", "new_revenue",
        "returning_customers", "returning_revenue", "repeat_customers", "buyers", "at_risk",
        "churned", "points_issued", "points_redeemed", "points_outstanding", "point_value",
        "average_spend_new", "average_spend_returning", "returning_spend_more_bp",
        "average_member_sale", "average_non_member_sale", "member_sale_more_bp",
        "points_liability",
    )} == {
        "sales": 6, "revenue": 43_000, "member_sales": 4, "member_revenue": 35_000,
        "non_member_sales": 2, "non_member_revenue": 8_000, "active_members": 3,
        "new_customers": 2, "new_revenue": 15_000, "returning_customers": 1,
        "returning_revenue": 20_000, "repeat_customers": 2, "buyers": 5, "at_risk": 1,
        "churned": 1, "points_issued": 35, "points_redeemed": 10, "points_outstanding": 47,
        "point_value": 10, "average_spend_new": 7_500, "average_spend_returning": 20_000,
        "returning_spend_more_bp": 16_667, "average_member_sale": 8_750,
        "average_non_member_sale": 4_000, "member_sale_more_bp": 11_875,
        "points_liability": 470,
    }  # fmt: skip
    assert now["repeat_purchase_rate"] == {"numerator": 2, "denominator": 3, "basis_points": 6_667}
    assert now["purchase_frequency"] == {"numerator": 4, "denominator": 3, "basis_points": 13_333}
    assert now["redemption_rate"] == {"numerator": 10, "denominator": 35, "basis_points": 2_857}
    before = body["previous"]
    assert (before["sales"], before["revenue"], before["active_members"]) == (1, 1_000, 0)
    assert (before["non_member_sales"], before["buyers"], before["at_risk"]) == (1, 3, 1)
    assert before["repeat_purchase_rate"]["basis_points"] is None
    assert before["points_outstanding"] == 22  # A 10, D 8, E 4 at the end of May


def test_a_custom_range_and_thresholds(client: TestClient, db: Database) -> None:
    h = history(client, db)
    with clock.frozen(NOW):
        r = client.get(
            f"{API}/analytics/kpis?from=2026-06-10&to=2026-06-15&at_risk_days=30&churn_days=90",
            headers=h.shop.headers,
        )
    assert r.status_code == 200, r.text
    now = r.json()["current"]
    # A (10 Jun, returning), C (15 Jun, new); anonymous 12 Jun
    assert (now["sales"], now["revenue"], now["active_members"]) == (3, 29_000, 2)
    assert (now["new_customers"], now["returning_customers"], now["repeat_customers"]) == (1, 1, 1)
    # at 16 Jun: B's last buy 5 Jun (11 days) is fine; D (15 Apr) at risk; E churned
    assert (now["at_risk"], now["churned"]) == (1, 1)
    assert r.json()["previous_period"] == {"from": "2026-06-04", "to": "2026-06-09"}


def test_bad_ranges_name_the_field(client: TestClient, db: Database) -> None:
    h = history(client, db)
    for query, field in (
        ("from=2026-06-10&to=2026-06-01", "to"),
        ("to=2026-06-01", "from"),
        ("from=2020-01-01&to=2026-06-01", "from"),
        ("at_risk_days=90&churn_days=60", "churn_days"),
    ):
        r = client.get(f"{API}/analytics/kpis?{query}", headers=h.shop.headers)
        assert r.status_code == 422, query
        assert r.json()["errors"][0]["field"] == field, query


def test_daily_revenue_per_shop_day(client: TestClient, db: Database) -> None:
    h = history(client, db)
    with clock.frozen(NOW):
        r = client.get(f"{API}/analytics/revenue?days=7", headers=h.shop.headers)
    assert r.status_code == 200, r.text
    days = {d["day"]: (d["members"], d["non_members"], d["sales"]) for d in r.json()["data"]}
    assert len(days) == 7 and days["2026-06-25"] == (0, 2_000, 1)
    assert sum(v[0] + v[1] for v in days.values()) == 2_000


def test_a_cashier_may_not_read_analytics(client: TestClient, db: Database) -> None:
    h = history(client, db)
    r = client.get(f"{API}/analytics/kpis", headers=h.shop.key_for(db, "cashier"))
    assert r.status_code == 403

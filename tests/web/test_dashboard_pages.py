from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from regulars import daily
from regulars.db import Database
from regulars.kit import clock
from regulars.merchants import service as merchants
from regulars.merchants.schemas import StaffCreate
from tests.analytics.helpers import NOW, history
from tests.factories import PASSWORD
from tests.web.conftest import csrf_of, sign_in


def test_owners_land_on_the_dashboard_with_the_shops_own_figures(
    client: TestClient, db: Database
) -> None:
    h = history(client, db)
    with clock.frozen(NOW):
        daily.run_job(db, h.shop.ctx, "analytics.refresh")
        sign_in(client, h.shop, lang="en")
        home = client.get("/", follow_redirects=False)
        r = client.get("/dashboard")
    assert (home.status_code, home.headers["location"]) == (303, "/dashboard")
    assert r.status_code == 200, r.text
    text = r.text
    assert "Returning customers spend 166.7% more than new customers." in text
    assert "A member&#39;s sale is 118.8% larger than a non-member&#39;s." in text
    assert 'data-kpi="repeat_purchase_rate"' in text and "66.7%" in text
    assert text.count('<svg class="chart"') == 4
    assert "Jun 1, 2026 to Jun 30, 2026, against May 2, 2026 to May 31, 2026" in text


@pytest.mark.parametrize("period", ["7", "90", "365"])
def test_each_preset_period(client: TestClient, db: Database, period: str) -> None:
    h = history(client, db)
    with clock.frozen(NOW):
        sign_in(client, h.shop, lang="en")
        r = client.get(f"/dashboard?period={period}")
    assert r.status_code == 200
    assert f'<option value="{period}" selected>' in r.text


def test_a_custom_range_and_a_wrong_one(client: TestClient, db: Database) -> None:
    h = history(client, db)
    with clock.frozen(NOW):
        sign_in(client, h.shop, lang="en")
        ok = client.get("/dashboard?period=custom&from=2026-06-10&to=2026-06-15")
        wrong = client.get("/dashboard?period=custom&from=2026-06-15&to=2026-06-10")
        other = client.get("/dashboard?period=12")
    assert ok.status_code == 200 and "Jun 10, 2026 to Jun 15, 2026" in ok.text
    assert (wrong.status_code, other.status_code) == (422, 422)


def test_every_table_behind_a_chart_downloads_as_csv(client: TestClient, db: Database) -> None:
    h = history(client, db)
    with clock.frozen(NOW):
        daily.run_job(db, h.shop.ctx, "analytics.refresh")
        sign_in(client, h.shop, lang="en")
        got = {t: client.get(f"/dashboard/{t}.csv") for t in
               ("kpis", "revenue", "revenue-mix", "cohorts", "segments")}  # fmt: skip
        missing = client.get("/dashboard/secrets.csv")
    assert missing.status_code == 422
    rows = {t: list(csv.reader(io.StringIO(r.text))) for t, r in got.items()}
    assert all(r.headers["content-type"] == "text/csv; charset=utf-8" for r in got.values())
    kpis = {row[0]: row[1:] for row in rows["kpis"][1:]}
    assert kpis["revenue"] == ["43000", "1000", ""]
    assert kpis["repeat_purchase_rate"] == ["6667", "", "basis_points"]
    assert rows["revenue"][0] == ["day", "members", "non_members", "sales"]
    assert len(rows["revenue"]) == 31 and rows["revenue"][10] == ["2026-06-10", "20000", "0", "1"]
    assert rows["revenue-mix"][1:] == [
        ["new_customers", "15000"], ["returning_customers", "20000"], ["non_members", "8000"]
    ]  # fmt: skip
    assert rows["cohorts"][0][:4] == ["cohort", "customers", "month_0", "month_1"]
    assert ["2026-03", "1", "1", "0", "0", "1"] in rows["cohorts"]
    assert rows["segments"][1:3] == [["champions", "1", "12000", "2"], ["loyal", "1", "30000", "2"]]


def test_cashiers_keep_the_customers_as_their_home(client: TestClient, db: Database) -> None:
    h = history(client, db)
    email = f"till-{h.shop.id.hex[:8]}@example.com"
    db.run(lambda s: merchants.create_staff(
        s, h.shop.ctx, StaffCreate(email=email, name="Till", role="cashier",
                                   password=PASSWORD)))  # fmt: skip
    token = csrf_of(client, "/login")
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf": token})
    home = client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/customers"
    assert client.get("/dashboard").status_code == 403
    assert client.get("/dashboard/kpis.csv").status_code == 403

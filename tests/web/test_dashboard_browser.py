"""In Chromium on a phone (390 x 844): the owner's dashboard in Burmese and in Urdu (right to
left), with its four charts, no sideways scroll, and screenshots."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from regulars import daily
from regulars.db import Database
from regulars.kit import clock
from tests.analytics.helpers import NOW, history
from tests.factories import PASSWORD
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    PHONE,
    SCREENSHOTS,
    LiveServer,
    _no_sideways_scroll,
    browser,
    live_server,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["my", "ur"])
def test_the_dashboard_on_a_phone(
    live_server: LiveServer,  # noqa: F811
    browser: Any,  # noqa: F811
    client: TestClient,
    db: Database,
    lang: str,
) -> None:
    h = history(client, db)
    with clock.frozen(NOW):
        daily.run_job(db, h.shop.ctx, "analytics.refresh")
        page = browser.new_page(viewport=PHONE)
        page.goto(f"{live_server.url}/")
        page.wait_for_url("**/login?next=*")
        page.fill('input[name="email"]', h.shop.owner_email)
        page.fill('input[name="password"]', PASSWORD)
        page.click('form[action="/login"] button[type="submit"]')
        page.wait_for_url(f"{live_server.url}/dashboard")
        page.click(".langs summary")
        page.click(f'.lang-list button[value="{lang}"]')
        page.wait_for_url(f"{live_server.url}/dashboard")
        assert page.get_attribute("html", "lang") == lang
        assert page.get_attribute("html", "dir") == ("rtl" if lang == "ur" else "ltr")
        assert page.locator("svg.chart").count() == 4
        for chart in ("#revenue-chart", "#mix-chart", "#cohort-chart", "#segment-chart"):
            box = page.locator(f"{chart} svg.chart").bounding_box()
            assert box is not None and 300 <= box["width"] <= 390 and box["height"] > 60, chart
        assert page.locator("#kpis .kpi").count() == 15
        assert page.locator("#headline strong").inner_text() != ""
        _no_sideways_scroll(page)
        if db.is_sqlite:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"dashboard-{lang}.png"), full_page=True)
            page.screenshot(path=str(SCREENSHOTS / f"dashboard-top-{lang}.png"))
            for chart in ("revenue", "mix", "cohort", "segment"):
                path = SCREENSHOTS / f"dashboard-{chart}-{lang}.png"
                page.locator(f"#{chart}-chart").screenshot(path=str(path))
        page.close()

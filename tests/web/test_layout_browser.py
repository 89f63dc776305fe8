"""Layout under hostile text: a 200-character name with no space in it must not widen any page
at 390x844; an unknown address answers an HTML page to a browser."""

from __future__ import annotations

from typing import Any

import pytest

from regulars.db import Database
from tests.factories import PASSWORD, make_customer, make_merchant
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    PHONE,
    SCREENSHOTS,
    LiveServer,
    _portal_sign_in,
    browser,
    live_server,
)
from tests.web.test_pos_pages import add_staff, give_points

pytestmark = pytest.mark.browser

LONG_NAME = "Wolfeschlegelsteinhausenbergerdorff" * 5 + "X" * 25  # 200 characters, no break


def _width(page: Any) -> int:  # type: ignore[misc]
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _sign_in(page: Any, server: LiveServer, email: str) -> None:  # type: ignore[misc]
    page.goto(f"{server.url}/login")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.click('form[action="/login"] button[type="submit"]')
    page.wait_for_url(lambda url: "/login" not in url)  # each role's home


def test_a_long_unbroken_name_never_widens_a_page(
    live_server: LiveServer,  # noqa: F811
    browser: Any,  # noqa: F811
    db: Database,
) -> None:
    assert len(LONG_NAME) == 200
    shop = make_merchant(db, name="Lahore Mobiles", country="PK", currency="PKR",
                         timezone="Asia/Karachi", locale="ur")  # fmt: skip
    long = make_customer(
        db,
        shop,
        name=LONG_NAME,
        phone="+923001234567",
        tags=["T" * 40],
        attributes={"K" * 60: "V" * 300},
        email=("e" * 60) + "@example.com",
    )
    give_points(db, shop, long.id, 150)
    cashier = add_staff(db, shop, "cashier")
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True)
    staff = context.new_page()
    _sign_in(staff, live_server, shop.owner_email)
    for path in ("/customers", f"/customers?q={LONG_NAME[:20]}", f"/customers/{long.id}"):
        staff.goto(f"{live_server.url}{path}")
        assert LONG_NAME in staff.inner_text("main")
        assert _width(staff) == 390, f"{path} is {_width(staff)}px wide"
    # Wrapped, not one letter a line: the page stays a phone page long.
    assert staff.evaluate("document.documentElement.scrollHeight") < 4000
    if db.is_sqlite:
        staff.screenshot(path=str(SCREENSHOTS / "long-name-customer-ur.png"), full_page=True)
    staff.goto(f"{live_server.url}/customers/new")
    staff.fill('input[name="name"]', LONG_NAME)
    staff.fill('input[name="phone"]', "12")
    staff.fill('input[name="email"]', "mya@shop")  # the browser accepts it, the shop does not
    staff.click('form[action="/customers/new"] button[type="submit"]')
    staff.wait_for_selector(".field-error")
    assert staff.locator('[aria-invalid="true"]').count() == 2  # phone and email, both marked
    assert staff.input_value('input[name="name"]') == LONG_NAME
    assert _width(staff) == 390

    till = context.new_page()
    till.goto(f"{live_server.url}/logout")
    till_context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True)
    till = till_context.new_page()
    till.goto(f"{live_server.url}/pos")
    till.fill('input[name="email"]', cashier)
    till.fill('input[name="password"]', PASSWORD)
    till.click('form[action="/login"] button[type="submit"]')
    till.wait_for_url(f"{live_server.url}/pos")
    till.fill("#q", "0300 1234567")
    till.press("#q", "Enter")
    till.wait_for_selector("#card:not([hidden])")
    assert till.inner_text("#c-name") == LONG_NAME
    assert _width(till) == 390

    portal = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True).new_page()
    _portal_sign_in(portal, live_server, shop.ctx.merchant.slug, "0300 1234567", "+923001234567")
    assert portal.inner_text(".card-name") == LONG_NAME
    assert _width(portal) == 390
    portal.goto(f"{live_server.url}/p/{shop.ctx.merchant.slug}/history")
    assert _width(portal) == 390


def test_an_unknown_page_answers_html_to_a_browser(
    live_server: LiveServer,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    page = browser.new_page(viewport=PHONE)
    response = page.goto(f"{live_server.url}/no-such-page")
    assert response is not None and response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    assert page.inner_text("h1") == "Something went wrong"
    assert "This page does not exist" in page.inner_text("main")
    api = page.goto(f"{live_server.url}/api/v1/no-such-thing")
    assert api is not None and api.status == 404
    assert api.headers["content-type"] == "application/problem+json"

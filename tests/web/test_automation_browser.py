"""The message pages on a phone in Urdu (right to left): the automations switched on, the wording
grid and the editor's preview for a customer, without sideways scrolling."""

from __future__ import annotations

import pytest

from regulars.db import Database
from tests.factories import PASSWORD, make_customer, make_merchant
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    PHONE,
    LiveServer,
    _no_sideways_scroll,
    browser,
    live_server,
)

pytestmark = pytest.mark.browser


def test_a_manager_sets_up_messages_on_a_phone_in_urdu(  # type: ignore[no-untyped-def]
    live_server: LiveServer,  # noqa: F811
    browser,  # noqa: F811
    db: Database,
) -> None:
    shop = make_merchant(
        db, name="Lahore Phones", country="PK", currency="PKR", timezone="Asia/Karachi", locale="ur"
    )
    make_customer(db, shop, name="Ayesha", phone="+923001234567", locale="ur")
    phone = browser.new_context(viewport=PHONE, is_mobile=True)
    p = phone.new_page()
    p.goto(f"{live_server.url}/automations")
    p.wait_for_url("**/login?next=*")
    p.fill('input[name="email"]', shop.owner_email)
    p.fill('input[name="password"]', PASSWORD)
    p.click('form[action="/login"] button[type="submit"]')
    p.wait_for_url(f"{live_server.url}/automations")
    assert p.get_attribute("html", "dir") == "rtl"
    p.check('#winback input[name="enabled"]')
    p.fill('#winback input[name="days"]', "30")
    p.click('#winback button[type="submit"]')
    p.wait_for_url("**/automations#winback")
    assert p.is_checked('#winback input[name="enabled"]')
    assert p.input_value('#winback input[name="days"]') == "30"
    _no_sideways_scroll(p)

    p.goto(f"{live_server.url}/message-templates")
    _no_sideways_scroll(p)
    p.goto(f"{live_server.url}/message-templates/welcome/ur?customer=0300%201234567")
    preview = p.inner_text(".customer-preview")
    assert "السلام علیکم Ayesha، Lahore Phones میں خوش آمدید!" in preview
    _no_sideways_scroll(p)

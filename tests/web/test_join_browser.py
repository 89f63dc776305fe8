"""A non-member joins from the portal on a phone, in Urdu: phone, consent, the code sent to the
phone; the card then shows the program's sign-up bonus, given once, on the ledger."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from regulars.customers.models import Consent, Customer
from regulars.db import Database
from tests.factories import make_merchant
from tests.loyalty.test_signup import entries, set_signup_points
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    PHONE,
    SCREENSHOTS,
    LiveServer,
    _no_sideways_scroll,
    browser,
    live_server,
)

pytestmark = pytest.mark.browser


def test_a_non_member_joins_from_the_portal_and_gets_the_signup_bonus(
    live_server: LiveServer,  # noqa: F811
    browser: Any,  # noqa: F811
    db: Database,
) -> None:
    lahore = make_merchant(db, name="Lahore Mobiles", country="PK", currency="PKR",
                           timezone="Asia/Karachi", locale="ur")  # fmt: skip
    set_signup_points(db, lahore, 100)
    slug = lahore.ctx.merchant.slug
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    portal = context.new_page()
    portal.goto(f"{live_server.url}/p/{slug}/")
    assert portal.get_attribute("html", "dir") == "rtl"
    portal.click(f'a[href="/p/{slug}/join"]')
    portal.wait_for_url(f"**/p/{slug}/join")
    portal.fill('input[name="phone"]', "0300 7654321")
    portal.fill('input[name="name"]', "زینب علی")
    portal.check('input[name="offers"]')
    _no_sideways_scroll(portal)
    if db.is_sqlite:
        portal.screenshot(path=str(SCREENSHOTS / "portal-join-ur.png"), full_page=True)
    portal.click('form[action$="/join"] button[type="submit"]')
    assert portal.url.endswith("/join")  # the consent box is required: nothing was sent
    assert live_server.channel.last_to("+923007654321") is None
    portal.check('input[name="agree"]')
    portal.click('form[action$="/join"] button[type="submit"]')
    portal.wait_for_url(f"**/p/{slug}/verify")
    message = live_server.channel.last_to("+923007654321")
    assert message is not None
    code = re.search(r"\b(\d{6})\b", message.body)
    assert code
    assert db.run(lambda s: s.scalar(select(Customer.id)), write=False) is None  # not yet
    portal.fill('input[name="code"]', code.group(1))
    portal.click('form[action$="/verify"] button[type="submit"]')
    portal.wait_for_url(f"**/p/{slug}/")
    assert portal.inner_text(".card-name") == "زینب علی"
    assert portal.inner_text("#balance") == "100"
    _no_sideways_scroll(portal)
    if db.is_sqlite:
        portal.screenshot(path=str(SCREENSHOTS / "portal-joined-ur.png"), full_page=True)

    customer = db.run(lambda s: s.scalars(select(Customer)).one(), write=False)
    assert (customer.phone, customer.source) == ("+923007654321", "portal")
    consents = db.run(
        lambda s: [(c.channel, c.granted, c.source) for c in s.scalars(select(Consent))],
        write=False,
    )
    assert consents == [("sms", True, "portal")]
    assert entries(db, lahore, customer.id) == [(100, "bonus", "signup")]
    # The history names the bonus in the customer's language.
    portal.goto(f"{live_server.url}/p/{slug}/history")
    assert "100" in portal.inner_text("main")
    context.close()

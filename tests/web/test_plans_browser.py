"""Payment plans in the browser: the cashier takes a payment on the till's plan page (laptop),
then the member reads the schedule in the portal on a phone (390x844) in Urdu, right to left:
the overdue down payment, what is paid, and what is left."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from regulars import daily
from regulars.db import Database
from regulars.kit import clock
from regulars.plans import offers, service
from regulars.plans.schemas import OfferCreate, PlanCreate
from regulars.web import i18n
from tests.factories import make_customer, make_merchant
from tests.plans.helpers import regular
from tests.web.test_browser import (
    PHONE,
    SCREENSHOTS,
    LiveServer,
    _no_sideways_scroll,
    _portal_sign_in,
    browser,  # noqa: F401  (fixture)
    live_server,  # noqa: F401  (fixture)
)
from tests.web.test_events_browser import _staff_sign_in

pytestmark = pytest.mark.browser


def test_till_payment_and_portal_schedule_in_urdu_on_a_phone(
    live_server: LiveServer,  # noqa: F811
    browser,  # noqa: F811
    db: Database,
) -> None:  # type: ignore[no-untyped-def]
    lahore = make_merchant(db, name="Lahore Mobiles", country="PK", currency="PKR",
                           timezone="Asia/Karachi", locale="ur")  # fmt: skip
    member = make_customer(db, lahore, name="عائشہ خان", phone="0300 1234567", locale="ur")
    regular(db, lahore, member.id)
    terms = OfferCreate(name="Phone in 6", installments=6, interval_months=1,
                        down_payment_percent=20, fee=0, min_price=1, max_price=10**9)  # fmt: skip
    offer = db.run(lambda s: offers.create_offer(s, lahore.ctx, terms))
    body = PlanCreate(customer_id=member.id, offer_id=offer["id"], principal=6_000_000,
                      first_due=date(2026, 1, 31))  # fmt: skip
    with clock.frozen(datetime(2026, 1, 20, 6, 0, tzinfo=UTC)):
        plan = db.run(lambda s: service.create_plan(s, lahore.ctx, body))
    with clock.frozen(datetime(2026, 2, 2, 6, 0, tzinfo=UTC)):
        daily.run_job(db, lahore.ctx, "plans.overdue")  # the down payment is overdue
    shots = db.is_sqlite
    if shots:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    money = lambda minor, lang: i18n.money(minor, "PKR", lang)  # noqa: E731

    # The cashier finds the member on the till's plan page and takes a part payment.
    staff = browser.new_page(viewport={"width": 1280, "height": 800})
    _staff_sign_in(staff, live_server, lahore.owner_email)
    staff.click(".langs summary")
    staff.click('.lang-list button[value="en"]')
    staff.goto(f"{live_server.url}/plans")
    assert "Overdue: 1" in staff.inner_text(".plan-counts")
    staff.click(".plan-row a")
    staff.wait_for_url("**/pos/plans?customer=*")
    staff.fill("form.plan-payment input[name=amount]", "5000")  # major units
    staff.click("form.plan-payment button[type=submit]")
    staff.wait_for_url("**/pos/plans?customer=*&paid=*")
    assert "Payment recorded." in staff.inner_text("main")
    paid = 5000 * 10 ** (2 if "5,000.00" in money(500_000, "en") else 0)
    left = plan["total"] - paid
    assert staff.inner_text(".plan .remaining") == money(left, "en")
    if shots:
        staff.screenshot(path=str(SCREENSHOTS / "till-plan-payment-en.png"), full_page=True)

    # The member, on a phone in Urdu, reads the schedule.
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    portal = phone.new_page()
    slug = lahore.ctx.merchant.slug
    _portal_sign_in(portal, live_server, slug, "0300 1234567", "+923001234567")
    portal.click(f'a[href="/p/{slug}/plans"]')
    portal.wait_for_url(f"**/p/{slug}/plans")
    assert portal.get_attribute("html", "dir") == "rtl"
    assert portal.inner_text("h1") == "قسطوں کے منصوبے"
    assert portal.inner_text(".plan-status") == "ایک ادائیگی کی تاریخ گزر چکی ہے"
    assert portal.inner_text(".plan .remaining") == money(left, "ur")
    rows = portal.locator("tr.installment")
    assert rows.count() == 7
    assert portal.locator("tr.installment.overdue").count() == 1
    assert "تاریخ گزر گئی" in portal.inner_text("tr.installment.overdue")
    assert "پیشگی ادائیگی" in portal.inner_text("tr.installment.overdue")
    _no_sideways_scroll(portal)
    if shots:
        portal.screenshot(path=str(SCREENSHOTS / "portal-plans-ur.png"), full_page=True)
    phone.close()

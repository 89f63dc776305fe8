"""A member in Lahore opens a complaint from the portal on a phone, in Urdu; the manager sees it
in the queue with its SLA timer on a laptop and replies; the member reads the reply. A survey
link answered on a phone. Screenshots of each."""

from __future__ import annotations

import pytest

from regulars.db import Database
from regulars.feedback import surveys
from regulars.feedback.schemas import SurveyCreate
from tests.factories import make_customer, make_merchant
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


def test_a_complaint_from_the_portal_in_urdu_is_answered_from_the_staff_queue(
    live_server: LiveServer,  # noqa: F811
    browser,  # noqa: F811
    db: Database,
) -> None:  # type: ignore[no-untyped-def]
    lahore = make_merchant(db, name="Lahore Mobiles", country="PK", currency="PKR",
                           timezone="Asia/Karachi", locale="ur")  # fmt: skip
    make_customer(db, lahore, name="عائشہ خان", phone="0300 1234567", locale="ur")
    slug = lahore.ctx.merchant.slug
    shots = db.is_sqlite
    if shots:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    portal = phone.new_page()
    _portal_sign_in(portal, live_server, slug, "0300 1234567", "+923001234567")
    portal.click(f'a[href="/p/{slug}/help"]')
    portal.wait_for_url(f"**/p/{slug}/help")
    assert portal.get_attribute("html", "dir") == "rtl"
    portal.select_option('form.new-ticket select[name="category"]', "product")
    portal.fill('form.new-ticket input[name="subject"]', "فون کی بیٹری خراب ہے")
    # Sent without the story: the page says what is missing and keeps the subject.
    portal.evaluate(
        "document.querySelector('form.new-ticket textarea').removeAttribute('required')"
    )
    portal.click("form.new-ticket button[type=submit]")
    assert "ہمیں بتائیں کہ کیا ہوا۔" in portal.inner_text("form.new-ticket")
    assert portal.input_value('form.new-ticket input[name="subject"]') == "فون کی بیٹری خراب ہے"
    portal.fill("form.new-ticket textarea", "دو دن پہلے خریدا، بیٹری ایک گھنٹہ بھی نہیں چلتی۔")
    portal.click("form.new-ticket button[type=submit]")
    portal.wait_for_url(f"**/p/{slug}/help/*")
    ticket_url = portal.url
    assert "ہم " in portal.inner_text(".notice")  # "we will reply by ..."
    _no_sideways_scroll(portal)
    if shots:
        portal.screenshot(path=str(SCREENSHOTS / "portal-complaint-ur.png"), full_page=True)

    staff = browser.new_page(viewport={"width": 1280, "height": 800})
    _staff_sign_in(staff, live_server, lahore.owner_email)
    staff.goto(f"{live_server.url}/tickets")
    row = staff.locator(".ticket-row").first
    assert "فون کی بیٹری خراب ہے" in row.inner_text()
    assert row.locator(".sla-left, .sla-late").count() == 1
    if shots:
        staff.screenshot(path=str(SCREENSHOTS / "staff-tickets-ur.png"), full_page=True)
    row.click()
    staff.fill('form[action$="/reply"] textarea', "معذرت! نئی بیٹری کے لیے تشریف لائیں۔")
    staff.click('form[action$="/reply"] button[type=submit]')
    staff.wait_for_url("**/tickets/*#thread")
    assert "معذرت! نئی بیٹری" in staff.inner_text("#thread")

    phone_staff = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    _staff_sign_in(phone_staff, live_server, lahore.owner_email)
    phone_staff.goto(f"{live_server.url}/tickets")
    _no_sideways_scroll(phone_staff)

    portal.goto(ticket_url)
    assert "معذرت! نئی بیٹری" in portal.inner_text(".thread")
    _no_sideways_scroll(portal)


def test_a_survey_link_on_a_phone_in_burmese(
    live_server: LiveServer,  # noqa: F811
    browser,  # noqa: F811
    db: Database,
) -> None:  # type: ignore[no-untyped-def]
    shop = make_merchant(db)
    member = make_customer(db, shop, name="ဒေါ်မြ", locale="my")
    token = db.run(lambda s: surveys.create(s, shop.ctx, SurveyCreate(customer_id=member.id)).token)
    page = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    page.goto(f"{live_server.url}/f/{shop.ctx.merchant.slug}/{token}")
    assert page.locator(".score").count() == 11
    _no_sideways_scroll(page)
    page.click('.score:has(input[value="9"])')
    if db.is_sqlite:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "survey-my.png"), full_page=True)
    page.click("form.survey button[type=submit]")
    assert page.inner_text(".notice") == "သင့်ကတ်ထဲသို့ ပွိုင့် 10 ထည့်ပေးပြီးပါပြီ။"

"""A member RSVPs in the portal on a phone, in Urdu, and hands a guest pass to a friend; at the
door a scanner types the member's pass into the check-in screen (390x844, Urdu): admitted once,
the second scan is told it was already used."""

from __future__ import annotations

import pytest

from regulars.db import Database
from tests.factories import PASSWORD, make_customer, make_merchant
from tests.web.test_browser import (
    PHONE,
    SCREENSHOTS,
    LiveServer,
    _no_sideways_scroll,
    _portal_sign_in,
    browser,  # noqa: F401  (fixture)
    live_server,  # noqa: F401  (fixture)
)

pytestmark = pytest.mark.browser


def _staff_sign_in(page, server: LiveServer, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server.url}/login")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.click('form[action="/login"] button[type="submit"]')
    page.wait_for_url(lambda url: "/login" not in url)  # each role's home


def test_portal_rsvp_with_a_guest_pass_and_door_check_in_in_urdu(
    live_server: LiveServer,  # noqa: F811
    browser,  # noqa: F811
    db: Database,
) -> None:  # type: ignore[no-untyped-def]
    lahore = make_merchant(db, name="Lahore Mobiles", country="PK", currency="PKR",
                           timezone="Asia/Karachi", locale="ur")  # fmt: skip
    make_customer(db, lahore, name="عائشہ خان", phone="0300 1234567", locale="ur", tags=["vip"])
    shots = db.is_sqlite
    if shots:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # The owner creates the event on a laptop (in English).
    staff = browser.new_page(viewport={"width": 1280, "height": 800})
    _staff_sign_in(staff, live_server, lahore.owner_email)
    staff.click(".langs summary")
    staff.click('.lang-list button[value="en"]')
    staff.goto(f"{live_server.url}/events")
    staff.fill('input[name="name"]', "Eid launch evening")
    staff.fill('input[name="starts_at"]', "2099-03-20T19:00")
    staff.fill('input[name="capacity"]', "30")
    staff.fill('input[name="guests_allowed"]', "2")
    staff.fill('input[name="tags"]', "vip")
    staff.click("form.new-event button[type=submit]")
    staff.wait_for_url("**/events/*")
    event_url = staff.url
    if shots:
        staff.goto(f"{live_server.url}/events")
        staff.screenshot(path=str(SCREENSHOTS / "staff-events-en.png"), full_page=True)

    # The member, on a phone in Urdu: invitations, reply with one guest, give a pass.
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    portal = phone.new_page()
    slug = lahore.ctx.merchant.slug
    _portal_sign_in(portal, live_server, slug, "0300 1234567", "+923001234567")
    portal.click(f'a[href="/p/{slug}/events"]')
    portal.wait_for_url(f"**/p/{slug}/events")
    assert portal.get_attribute("html", "dir") == "rtl"
    assert "Eid launch evening" in portal.inner_text("main")
    portal.select_option('form.rsvp select[name="guests"]', "1")
    portal.click("form.rsvp button[type=submit]")
    portal.wait_for_url(f"**/p/{slug}/events#event-*")
    assert "آپ 1 مہمانوں کے ساتھ آ رہے ہیں۔" in portal.inner_text(".invitation .notice")
    code = portal.inner_text(".pass .member-code").replace("-", "")
    assert len(code) == 12
    portal.fill('form.guest-pass input[name="phone"]', "0321 7654321")
    portal.fill('form.guest-pass input[name="name"]', "Bilal")
    portal.check('form.guest-pass input[name="consent"]')
    portal.click("form.guest-pass button[type=submit]")
    portal.wait_for_url(f"**/p/{slug}/events#event-*")
    assert "Bilal" in portal.inner_text(".invitation .vouchers")
    assert portal.locator(".invitation .qr svg").count() == 2  # the member's pass, Bilal's
    _no_sideways_scroll(portal)
    if shots:
        portal.screenshot(path=str(SCREENSHOTS / "portal-events-ur.png"), full_page=True)

    # At the door, on a phone in Urdu: the scanner types the code and Enter.
    door = phone.new_page()
    _staff_sign_in(door, live_server, lahore.owner_email)  # the shop's language: Urdu
    door.goto(event_url + "/door")
    assert door.get_attribute("html", "lang") == "ur"
    door.fill('input[name="code"]', code)
    door.press('input[name="code"]', "Enter")
    door.wait_for_load_state()
    assert "خوش آمدید، عائشہ خان!" in door.inner_text(".door-result")
    assert "اندر آنے والے افراد: 1" in door.inner_text(".door-result")
    assert door.evaluate("document.activeElement.name") == "code"  # ready for the next scan
    assert door.input_value('input[name="code"]') == ""
    _no_sideways_scroll(door)
    if shots:
        door.screenshot(path=str(SCREENSHOTS / "door-check-in-ur.png"), full_page=True)
    door.fill('input[name="code"]', code)
    door.press('input[name="code"]', "Enter")
    door.wait_for_load_state()
    assert "یہ پاس" in door.inner_text(".door-result")  # already used at ...
    assert door.locator(".door-result[role=alert]").count() == 1
    if shots:
        door.screenshot(path=str(SCREENSHOTS / "door-again-ur.png"), full_page=True)
    phone.close()

    # The event's replies on a laptop: the member checked in, Bilal's pass not yet.
    staff.goto(event_url)
    assert "عائشہ خان" in staff.inner_text("#rsvps") and "Checked in" in staff.inner_text("#rsvps")
    assert "Bilal" in staff.inner_text("#passes") and "Not yet" in staff.inner_text("#passes")
    if shots:
        staff.screenshot(path=str(SCREENSHOTS / "staff-event-en.png"), full_page=True)
        staff.set_viewport_size(PHONE)
        _no_sideways_scroll(staff)
        staff.screenshot(path=str(SCREENSHOTS / "staff-event-en-phone.png"), full_page=True)
        staff.set_viewport_size({"width": 1280, "height": 800})
        staff.click(".langs summary")
        staff.click('.lang-list button[value="ur"]')
        staff.goto(event_url)
        staff.screenshot(path=str(SCREENSHOTS / "staff-event-ur.png"), full_page=True)
        staff.set_viewport_size(PHONE)
        staff.goto(f"{live_server.url}/events")
        _no_sideways_scroll(staff)
        staff.screenshot(path=str(SCREENSHOTS / "staff-events-ur-phone.png"), full_page=True)

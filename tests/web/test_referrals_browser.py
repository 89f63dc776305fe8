"""Referrals in a real browser: a member shares their link from the portal, a friend opens it and
joins with the code, buys, and the referrer's card and the staff leaderboard show it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from regulars.db import Database
from tests.factories import PASSWORD, make_customer, make_merchant
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    PHONE,
    SCREENSHOTS,
    LiveServer,
    _no_sideways_scroll,
    _portal_sign_in,
    browser,
    live_server,
)

pytestmark = pytest.mark.browser


def test_a_shared_link_brings_a_friend_whose_first_purchase_rewards_the_member(  # type: ignore[no-untyped-def]
    live_server: LiveServer,  # noqa: F811
    browser,  # noqa: F811
    db: Database,
) -> None:
    shop = make_merchant(db, name="Shwe Bakery", locale="en")
    slug = shop.ctx.merchant.slug
    make_customer(db, shop, name="Maya", phone="+959781234567", locale="en")
    shots = db.is_sqlite
    if shots:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # The member opens the share page from their card.
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    member = phone.new_page()
    _portal_sign_in(member, live_server, slug, "09 7812 34567", "+959781234567")
    assert member.inner_text("#balance") == "0"
    member.click("#invite-friends")
    member.wait_for_url(f"**/p/{slug}/share")
    link = member.input_value("#share-link")
    code = parse_qs(urlparse(link).query)["ref"][0]
    assert link == f"{live_server.url}/p/{slug}/join?ref={code}"
    text = member.input_value("#share-text")
    assert text == (
        f"Join me at Shwe Bakery! Sign up with my code {code[:4]}-{code[4:]} and get 100 "
        f"welcome points: {link}"
    )
    _no_sideways_scroll(member)
    if shots:
        member.screenshot(path=str(SCREENSHOTS / "portal-share-en.png"), full_page=True)

    # The friend opens the link on their own phone and sees the invitation.
    friend_phone = browser.new_context(viewport=PHONE, is_mobile=True)
    friend = friend_phone.new_page()
    friend.goto(link)
    assert friend.inner_text("h1") == "Maya invites you to Shwe Bakery"
    assert friend.inner_text("#invitation-code") == f"{code[:4]}-{code[4:]}"
    assert "100 welcome points" in friend.inner_text("#invitation")
    _no_sideways_scroll(friend)

    # At the shop the cashier signs the friend up with the code they show, then rings up a sale.
    staff = browser.new_page(viewport={"width": 1280, "height": 800})
    staff.goto(f"{live_server.url}/customers/new")
    staff.wait_for_url("**/login?next=*")
    staff.fill('input[name="email"]', shop.owner_email)
    staff.fill('input[name="password"]', PASSWORD)
    staff.click('form[action="/login"] button[type="submit"]')
    staff.wait_for_url(f"{live_server.url}/customers/new")
    staff.fill('input[name="name"]', "Ko Zaw")
    staff.fill('input[name="phone"]', "09 4200 00001")
    staff.fill('input[name="referral_code"]', friend.inner_text("#invitation-code").lower())
    staff.click('form[action="/customers/new"] button[type="submit"]')
    staff.wait_for_url(f"{live_server.url}/customers/*")
    assert staff.inner_text("h1") == "Ko Zaw"
    api = httpx.Client(base_url=f"{live_server.url}/api/v1", headers=shop.headers)
    sale = {
        "receipt_id": "R-1",
        "customer": {"phone": "09 4200 00001"},
        "lines": [{"sku": "CAKE", "name": "Cake", "quantity": 2, "unit_price": 10000}],
    }
    assert api.post("/checkout", json=sale).status_code == 201
    api.close()

    # The friend's card shows the welcome points and the points of the sale.
    _portal_sign_in(friend, live_server, slug, "09 4200 00001", "+959420000001")
    assert friend.inner_text("#balance") == "120"

    # The member's card now shows the reward, and its history says why.
    member.goto(f"{live_server.url}/p/{slug}/")
    assert member.inner_text("#balance") == "200"
    member.goto(f"{live_server.url}/p/{slug}/history")
    assert "A friend you invited made their first purchase" in member.inner_text("main")
    phone.close()
    friend_phone.close()

    # The owner's leaderboard shows both, the member who brought the friend first.
    staff.goto(f"{live_server.url}/referrals")
    names = staff.locator("#leaderboard .name").all_inner_texts()
    assert names == ["Maya", "Ko Zaw"]
    first = staff.locator("#leaderboard .ambassador").first.inner_text()
    assert "Friends brought: 1 (1 bought)" in first
    assert staff.locator("#leaderboard svg rect").count() == 2  # Maya: friends; Ko Zaw: own
    if shots:
        staff.screenshot(path=str(SCREENSHOTS / "staff-ambassadors-en.png"), full_page=True)
        staff.set_viewport_size(PHONE)
        staff.screenshot(path=str(SCREENSHOTS / "staff-ambassadors-en-phone.png"), full_page=True)
    staff.set_viewport_size(PHONE)
    _no_sideways_scroll(staff)
    staff.close()

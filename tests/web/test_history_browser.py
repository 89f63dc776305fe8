"""In Chromium: the till's usual basket fills the basket in one press; a customer on a phone, in
Urdu, is asked before points are spent (balance before and after) and reads their purchases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from regulars.db import Database
from regulars.loyalty import rewards
from regulars.loyalty.models import Voucher
from regulars.loyalty.schemas import RewardCreate
from tests.factories import make_merchant
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    PHONE,
    SCREENSHOTS,
    LiveServer,
    _no_sideways_scroll,
    _portal_sign_in,
    browser,
    live_server,
)
from tests.web.test_history_pages import regular, tiers
from tests.web.test_pos_browser import _sign_in
from tests.web.test_pos_pages import add_staff, give_points

pytestmark = pytest.mark.browser


def _vouchers(db: Database) -> int:
    return int(db.run(lambda s: s.scalar(select(func.count()).select_from(Voucher)), write=False))


def test_usual_basket_fills_the_till_basket(
    live_server: LiveServer,  # noqa: F811
    browser: Any,  # noqa: F811
    db: Database,
) -> None:
    shop = make_merchant(db)
    tiers(db, shop)
    regular(db, shop)
    email = add_staff(db, shop, "cashier")
    till = browser.new_page(viewport={"width": 1280, "height": 900})
    _sign_in(till, live_server, email, "en")
    till.fill("#q", "09 7812 34567")
    till.press("#q", "Enter")
    till.wait_for_selector("#card:not([hidden])")
    assert till.inner_text("#c-usual-items") == "2 × Shwe cake (MMK5,000), 2 × Milk tea (MMK1,500)"
    perks = [line for line in till.inner_text("#c-perks").splitlines() if line]
    assert perks == [
        "Silver perks",
        "Free water",
        "What Gold adds",
        "1.5× points on every purchase",
        "Free delivery",
        "A cake on your birthday",
    ]
    till.click("#c-usual-add")
    till.wait_for_function("document.getElementById('t-total').textContent === 'MMK13,000'")
    lines = till.locator("#lines .basket-line")
    assert lines.count() == 2
    assert [lines.nth(i).locator(".qty").input_value() for i in range(2)] == ["2", "2"]
    assert till.inner_text("#t-subtotal") == "MMK13,000"
    assert till.evaluate("document.activeElement.id") == "c-usual-add"
    _no_sideways_scroll(till)
    if db.is_sqlite:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        till.screenshot(path=str(SCREENSHOTS / "pos-usual-basket.png"), full_page=True)
    till.click("#commit")
    till.wait_for_selector("#done:not([hidden])")
    assert till.inner_text("#d-total") == "MMK13,000"
    till.close()


def test_portal_on_a_phone_in_urdu_asks_before_redeeming_and_lists_purchases(
    live_server: LiveServer,  # noqa: F811
    browser: Any,  # noqa: F811
    db: Database,
) -> None:
    shop = make_merchant(db)
    tiers(db, shop)
    mya = regular(db, shop, locale="ur")  # 21 points from the sales, 2 taken back by a refund
    give_points(db, shop, mya, 31)
    db.run(
        lambda s: rewards.create_reward(
            s,
            shop.ctx,
            RewardCreate(name="Free cake", kind="free_item", cost_points=40, sku="CAKE"),
        )
    )
    slug = shop.ctx.merchant.slug
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    card = phone.new_page()
    _portal_sign_in(card, live_server, slug, "09 7812 34567", "+959781234567")
    assert card.get_attribute("html", "dir") == "rtl"
    assert card.inner_text("#balance") == "50"
    assert "Gold میں مزید کیا ملتا ہے" in card.inner_text(".portal-status")
    shots = db.is_sqlite
    if shots:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        card.screenshot(path=str(SCREENSHOTS / "portal-perks-ur.png"), full_page=True)

    card.click("#rewards a.button")  # not spent yet: the question first
    card.wait_for_url(f"**/p/{slug}/rewards/*")
    assert card.inner_text("h1") == "کیا “Free cake” حاصل کریں؟"
    assert (card.inner_text("#before"), card.inner_text("#cost"), card.inner_text("#after")) == (
        "50",
        "−40",
        "10",
    )
    assert _vouchers(db) == 0
    _no_sideways_scroll(card)
    if shots:
        card.screenshot(path=str(SCREENSHOTS / "portal-redeem-ur.png"), full_page=True)
    card.click(".confirm-redeem a.button")  # cancel: back to the card, nothing spent
    card.wait_for_url(f"**/p/{slug}/#rewards")
    assert card.inner_text("#balance") == "50" and _vouchers(db) == 0
    card.click("#rewards a.button")
    card.click(".confirm-redeem button[type=submit]")
    card.wait_for_url(f"**/p/{slug}/#vouchers")
    assert card.inner_text("#balance") == "10"
    assert _vouchers(db) == 1
    assert card.inner_text("#rewards .reward-row > span.muted") == "مزید 30 پوائنٹس درکار ہیں"

    card.click(f'a[href="/p/{slug}/purchases"]')
    card.wait_for_url(f"**/p/{slug}/purchases")
    assert card.inner_text("h1") == "آپ کی خریداریاں"
    assert card.inner_text("#favourite-items li:first-child") == "Shwe cake × 3"
    assert card.locator(".purchase").count() == 3
    assert "R-3" in card.locator(".purchase").first.inner_text()
    _no_sideways_scroll(card)
    if shots:
        card.screenshot(path=str(SCREENSHOTS / "portal-purchases-ur.png"), full_page=True)
    phone.close()

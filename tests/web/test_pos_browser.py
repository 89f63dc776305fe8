"""The till in a real browser: a cashier finds a customer by a local phone format, rings up a
basket with the keyboard and the quick picks, redeems a reward, charges (twice, fast: one sale),
and the customer's portal shows the new balance. Screenshots from the SQLite leg only."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from regulars.checkout import service as checkout
from regulars.checkout.models import Purchase
from regulars.checkout.schemas import CheckoutIn
from regulars.db import Database
from regulars.loyalty import rewards
from regulars.loyalty import service as loyalty
from regulars.loyalty.models import PointsEntry, Voucher
from regulars.loyalty.program import StampCard, Tier
from regulars.loyalty.schemas import RewardCreate
from tests.factories import PASSWORD, Shop, make_customer, make_merchant
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    PHONE,
    SCREENSHOTS,
    LiveServer,
    _no_sideways_scroll,
    _portal_sign_in,
    browser,
    live_server,
)
from tests.web.test_pos_pages import add_staff, give_points

pytestmark = pytest.mark.browser


def _sell_anonymously(
    db: Database, shop: Shop, receipt: str, sku: str, name: str, price: int, qty: int
) -> None:
    body = CheckoutIn.model_validate(
        {
            "receipt_id": receipt,
            "lines": [
                {
                    "sku": sku,
                    "name": name,
                    "category": "accessories",
                    "quantity": qty,
                    "unit_price": price,
                }
            ],
        }
    )
    db.run(lambda s: checkout.commit(s, shop.ctx, body))


def _count(db: Database, q: Any) -> int:
    return int(db.run(lambda s: s.scalar(q), write=False) or 0)


def _sign_in(page: Any, server: LiveServer, email: str, lang: str) -> None:  # type: ignore[misc]
    page.goto(f"{server.url}/pos")
    page.wait_for_url("**/login?next=*")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.click('form[action="/login"] button[type="submit"]')
    page.wait_for_url(f"{server.url}/pos")
    page.click(".langs summary")
    page.click(f'.lang-list button[value="{lang}"]')
    page.wait_for_url(f"{server.url}/pos")


def test_cashier_rings_up_a_sale_and_the_portal_shows_it(
    live_server: LiveServer,  # noqa: F811
    browser: Any,  # noqa: F811
    db: Database,
) -> None:
    lahore = make_merchant(
        db,
        name="Lahore Mobiles",
        country="PK",
        currency="PKR",
        timezone="Asia/Karachi",
        locale="ur",
    )
    ayesha = make_customer(db, lahore, name="Ayesha Khan", phone="+923001234567", locale="ur")
    give_points(db, lahore, ayesha.id, 150)

    def tiers_and_stamps(s: Any) -> None:
        program = loyalty.current_program(s, lahore.ctx)[1]
        program.tiers.levels = [
            Tier(code="silver", name="Silver", min_spend=0),
            Tier(code="gold", name="Gold", min_spend=1_000_000),
        ]
        program.stamp_cards = [
            StampCard(
                code="acc",
                name="Accessories card",
                stamps_required=5,
                categories=["accessories"],
                reward_name="Free cable",
            )
        ]
        loyalty.save_program(s, lahore.ctx, program)

    db.run(tiers_and_stamps)
    db.run(
        lambda s: rewards.create_reward(
            s,
            lahore.ctx,
            RewardCreate(name="Rs 200 off", kind="amount_off", cost_points=100, amount=20000),
        )
    )
    for n in range(3):
        _sell_anonymously(db, lahore, f"SEED-{n}", "CHARGER", "Fast charger", 200000, 2)
    _sell_anonymously(db, lahore, "SEED-9", "CABLE", "USB-C cable", 45000, 1)
    email = add_staff(db, lahore, "cashier")
    shots = db.is_sqlite

    till = browser.new_page(viewport={"width": 1280, "height": 900})
    till.on("dialog", lambda dialog: dialog.accept())
    _sign_in(till, live_server, email, "en")
    assert till.locator("#picks button").first.inner_text().startswith("Fast charger")

    # Keyboard only: F2, a local phone format, Enter; the SKU line, Enter.
    till.keyboard.press("F2")
    till.keyboard.type("0300-1234567")
    till.keyboard.press("Enter")
    till.wait_for_selector("#card:not([hidden])")
    assert till.inner_text("#c-name") == "Ayesha Khan"
    assert till.inner_text("#c-balance") == "150 points"
    assert till.evaluate("document.activeElement.id") == "sku"
    till.keyboard.type("CASE-1")
    for text in ("Phone case", "accessories"):
        till.keyboard.press("Tab")
        till.keyboard.type(text)
    till.keyboard.press("Tab")
    till.keyboard.press("Control+a")
    till.keyboard.type("2")
    till.keyboard.press("Tab")
    till.keyboard.type("1,500")
    till.keyboard.press("Enter")
    till.wait_for_selector(".basket-line")
    till.click('#picks button[data-sku="CHARGER"]')  # the quick-pick grid
    till.wait_for_function("document.querySelectorAll('.basket-line').length === 2")
    till.wait_for_function("document.getElementById('t-total').textContent === 'PKR5,000.00'")

    # Redeem a reward on the spot: its voucher is applied at once.
    till.click("#c-rewards button")
    till.wait_for_selector("#c-vouchers input:checked")
    till.wait_for_function("document.getElementById('t-total').textContent === 'PKR4,800.00'")
    assert till.inner_text("#t-discount") == "−PKR200.00"
    assert till.inner_text("#t-earn") == "+4,800 points"
    if shots:
        till.screenshot(path=str(SCREENSHOTS / "pos.png"), full_page=True)

    till.dblclick("#commit")  # two fast clicks: still one sale
    till.wait_for_selector("#done:not([hidden])")
    assert till.inner_text("#d-earned") == "+4,800 points"
    assert till.inner_text("#d-balance") == "4,850 points"
    assert till.inner_text("#d-tier") == "Silver"
    # The customer panel now shows the card after the sale, in place of the one before it.
    assert till.inner_text("#c-balance") == "4,850 points"
    assert "Accessories card: 3 of 5 stamps" in till.inner_text("#c-stamps")
    receipt = till.inner_text("#d-receipt")
    assert "4,850" in receipt
    mine = select(func.count()).select_from(Purchase).where(Purchase.customer_id == ayesha.id)
    assert _count(db, mine) == 1
    entries = select(func.count()).select_from(PointsEntry)
    assert _count(db, entries) == 3  # opening balance, the reward, the sale
    used = select(func.count()).select_from(Voucher).where(Voucher.status == "used")
    assert _count(db, used) == 1
    assert till.evaluate("document.activeElement.id") == "next-sale"
    till.keyboard.press("Enter")
    till.wait_for_selector("#basket:not([hidden])")
    assert till.evaluate("document.activeElement.id") == "q"

    # The customer signs in to the portal on a phone, in Urdu, and sees the new balance.
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    card = phone.new_page()
    _portal_sign_in(card, live_server, lahore.ctx.merchant.slug, "0300 1234567", "+923001234567")
    assert card.get_attribute("html", "dir") == "rtl"
    assert card.inner_text("#balance") == "4,850"
    card.click("#rewards button")  # the customer redeems for themselves
    card.wait_for_url("**/#vouchers")
    assert card.inner_text("#balance") == "4,750"
    assert card.locator(".voucher .qr svg").count() == 1
    _no_sideways_scroll(card)
    if shots:
        card.screenshot(path=str(SCREENSHOTS / "portal-loyalty-ur.png"), full_page=True)
    phone.close()


def test_burmese_till_on_a_phone(live_server: LiveServer, browser: Any, db: Database) -> None:  # noqa: F811
    yangon = make_merchant(db, name="Shwe Bakery")
    mya = make_customer(db, yangon, name="ဒေါ်မြမြ", phone="+959781234567", birthday="1990-01-15")
    give_points(db, yangon, mya.id, 35)
    for n, (sku, name, price) in enumerate(
        [("CAKE-1", "ရွှေကိတ်", 5000), ("TEA", "လက်ဖက်ရည်", 1500), ("BUN", "ပေါင်မုန့်", 800)]
    ):
        _sell_anonymously(db, yangon, f"SEED-{n}", sku, name, price, 3 - n)
    email = add_staff(db, yangon, "cashier")
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    till = context.new_page()
    _sign_in(till, live_server, email, "my")
    till.fill("#q", "09 7812 34567")
    till.press("#q", "Enter")
    till.wait_for_selector("#card:not([hidden])")
    till.click('#picks button[data-sku="CAKE-1"]')
    till.click('#picks button[data-sku="CAKE-1"]')
    till.click('#picks button[data-sku="TEA"]')
    till.wait_for_function("document.getElementById('t-total').textContent.indexOf('11,500') >= 0")
    _no_sideways_scroll(till)
    if db.is_sqlite:
        till.screenshot(path=str(SCREENSHOTS / "pos-phone-my.png"), full_page=True)
    till.keyboard.press("Control+Enter")  # the shortcut charges
    till.wait_for_selector("#done:not([hidden])")
    assert "11" in till.inner_text("#d-earned")
    context.close()

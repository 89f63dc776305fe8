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
from regulars.web import i18n
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
    card.click("#rewards a.button")  # the customer redeems for themselves, after a question
    card.click(".confirm-redeem button[type=submit]")
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
    assert till.inner_text("#bar-total") == till.inner_text("#t-total")
    _no_sideways_scroll(till)
    if db.is_sqlite:  # as the cashier sees it: the quick picks, and the bar with the total
        till.locator("#picks").evaluate("picks => picks.scrollIntoView({block: 'center'})")
        till.wait_for_function("document.getAnimations().length === 0")  # the tap's flash done
        till.screenshot(path=str(SCREENSHOTS / "pos-phone-my.png"))
    till.keyboard.press("Control+Enter")  # the shortcut charges
    till.wait_for_selector("#done:not([hidden])")
    assert "11" in till.inner_text("#d-earned")
    context.close()


def _text(lang: str, msgid: str, **values: Any) -> str:
    """A till text as the page shows it in `lang` (the catalogs have it in all five)."""
    text = i18n.gettext_for(lang).gettext(msgid)
    if lang != "en":
        assert text != msgid, f"no {lang} translation of {msgid!r}"
    return text % values if values else text


def _shows(page: Any, element_id: str, text: str) -> None:  # type: ignore[misc]
    page.wait_for_function(f"document.getElementById({element_id!r}).textContent === {text!r}")


def _total_is(page: Any, text: str) -> None:  # type: ignore[misc]
    _shows(page, "t-total", text)


def _charge_state(page: Any) -> tuple[bool, str]:  # type: ignore[misc]
    """(Charge enabled, the reason shown beside it)."""
    why = page.locator("#charge-why")
    return page.is_enabled("#commit"), why.inner_text() if why.is_visible() else ""


def test_a_free_item_voucher_brings_its_item_and_never_blocks_charge(
    live_server: LiveServer,  # noqa: F811
    browser: Any,  # noqa: F811
    db: Database,
) -> None:
    bakery = make_merchant(db, name="Shwe Bakery")
    mya = make_customer(db, bakery, name="Daw Mya", phone="+959781234567")
    give_points(db, bakery, mya.id, 500)
    for name, sku, cost in (("Free coffee", "COFFEE", 200), ("Free muffin", "MUFFIN", 100)):
        data = RewardCreate(name=name, kind="free_item", cost_points=cost, sku=sku)
        reward = db.run(lambda s, data=data: rewards.create_reward(s, bakery.ctx, data))
    # The muffin is redeemed already and has never been sold: the till does not know its price.
    muffin_voucher = db.run(lambda s: rewards.redeem(s, bakery.ctx, mya.id, reward.id)[0]).code
    _sell_anonymously(db, bakery, "SEED-1", "CAKE-1", "Gold cake", 5000, 3)
    _sell_anonymously(db, bakery, "SEED-2", "COFFEE", "Coffee", 2000, 2)
    email = add_staff(db, bakery, "cashier")

    till = browser.new_page(viewport={"width": 1280, "height": 900})
    till.on("dialog", lambda dialog: dialog.accept())
    _sign_in(till, live_server, email, "en")
    till.fill("#q", "09 7812 34567")
    till.press("#q", "Enter")
    till.wait_for_selector("#card:not([hidden])")
    assert _charge_state(till) == (False, "Add an item to charge.")
    till.click('#picks button[data-sku="CAKE-1"]')
    _total_is(till, "MMK5,000")
    assert _charge_state(till) == (True, "")

    # Redeeming the free coffee ticks its voucher and puts a coffee in the basket, free.
    till.click("#c-rewards li:has-text('Free coffee') button")
    till.wait_for_function("document.querySelectorAll('.basket-line').length === 2")
    _shows(till, "t-subtotal", "MMK7,000")
    assert till.inner_text("#t-total") == "MMK5,000"
    assert till.inner_text("#t-discount") == "−MMK2,000"
    coffee_row = till.locator("#c-vouchers li", has_text="Free coffee")
    assert coffee_row.locator("input").is_checked()
    assert coffee_row.locator(".voucher-note").inner_text() == "Added to the basket: Coffee"
    assert _charge_state(till) == (True, "")

    # The muffin's price is unknown: its voucher is unticked, the reason is beside it, the SKU
    # is typed for the cashier, and Charge stays on.
    muffin_row = till.locator(f'#c-vouchers li[data-code="{muffin_voucher}"]')
    muffin_row.locator("input").click()
    till.wait_for_selector(f'#c-vouchers li[data-code="{muffin_voucher}"] .voucher-note')
    assert not muffin_row.locator("input").is_checked()
    assert muffin_row.locator(".voucher-note").inner_text() == (
        "Add MUFFIN to the basket to use this voucher."
    )
    assert till.input_value("#sku") == "MUFFIN"
    assert till.evaluate("document.activeElement.id") == "price"
    _total_is(till, "MMK5,000")
    assert _charge_state(till) == (True, "")
    # Adding the muffin applies the waiting voucher.
    till.keyboard.type("1500")
    till.keyboard.press("Enter")
    till.wait_for_function("document.querySelectorAll('.basket-line').length === 3")
    till.wait_for_function(
        f"document.querySelector('#c-vouchers li[data-code=\"{muffin_voucher}\"] input').checked"
    )
    _shows(till, "t-subtotal", "MMK8,500")
    assert till.inner_text("#t-total") == "MMK5,000"

    # Taking the coffee out: the server refuses its voucher, the till unticks it with the reason.
    till.click("#lines li:has-text('Coffee') button.remove")
    till.wait_for_selector("#c-vouchers li:has-text('Free coffee') .voucher-note.field-error")
    assert not coffee_row.locator("input").is_checked()
    assert coffee_row.locator(".voucher-note").inner_text() == (
        "Add Coffee to the basket to use this voucher."
    )
    _shows(till, "t-subtotal", "MMK6,500")
    assert till.inner_text("#t-total") == "MMK5,000"
    assert _charge_state(till) == (True, "")

    till.click("#commit")
    till.wait_for_selector("#done:not([hidden])")
    assert till.inner_text("#d-total") == "MMK5,000"
    rows = db.run(lambda s: s.execute(select(Voucher.sku, Voucher.status)).all(), write=False)
    assert sorted((sku, status) for sku, status in rows) == [
        ("COFFEE", "issued"),
        ("MUFFIN", "used"),
    ]
    mine = select(func.count()).select_from(Purchase).where(Purchase.customer_id == mya.id)
    assert _count(db, mine) == 1


def test_a_price_is_checked_on_its_field_in_the_currencys_decimals(
    live_server: LiveServer,  # noqa: F811
    browser: Any,  # noqa: F811
    db: Database,
) -> None:
    # Kyat has no decimals; a desktop till in English.
    bakery = make_merchant(db, name="Shwe Bakery")
    _sell_anonymously(db, bakery, "SEED-1", "CAKE-1", "Gold cake", 5000, 3)
    till = browser.new_page(viewport={"width": 1280, "height": 900})
    _sign_in(till, live_server, add_staff(db, bakery, "cashier"), "en")
    till.click('#picks button[data-sku="CAKE-1"]')
    _total_is(till, "MMK5,000")
    till.fill("#sku", "BUN")
    till.fill("#price", "12.5")
    till.press("#price", "Enter")
    till.wait_for_selector("#price-error:not([hidden])")
    refused = "Unit price: MMK has no decimals. Type a whole number."
    assert till.inner_text("#price-error") == refused
    assert till.get_attribute("#price", "aria-invalid") == "true"
    assert till.evaluate("document.activeElement.id") == "price"
    assert till.locator(".basket-line").count() == 1  # not added; the basket keeps its totals
    assert till.inner_text("#t-total") == "MMK5,000"
    assert till.inner_text(".line-total") == "MMK5,000"
    assert _charge_state(till) == (True, "")
    till.fill("#price", "12")  # fixed: the error goes as it is typed
    assert till.locator("#price-error").is_hidden()
    assert till.get_attribute("#price", "aria-invalid") is None
    till.press("#price", "Enter")
    _total_is(till, "MMK5,012")
    assert till.locator(".basket-line").count() == 2

    # Ringgit has two: 12.505 is refused, 12.50 taken; a phone till in Urdu.
    kl = make_merchant(
        db, name="KL Kopi", country="MY", currency="MYR", timezone="Asia/Kuala_Lumpur", locale="ms"
    )
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    till = phone.new_page()
    _sign_in(till, live_server, add_staff(db, kl, "cashier"), "ur")
    assert till.get_attribute("html", "dir") == "rtl"
    till.fill("#sku", "KOPI")
    till.fill("#price", "12.505")
    till.click("#add button[type=submit]")
    till.wait_for_selector("#price-error:not([hidden])")
    msgid = "Unit price: at most %(digits)s decimals in %(currency)s."
    assert till.inner_text("#price-error") == _text("ur", msgid, digits="2", currency="MYR")
    assert till.locator(".basket-line").count() == 0
    assert _charge_state(till) == (False, _text("ur", "Add an item to charge."))
    _shows(till, "bar-note", _text("ur", "Add an item to charge."))
    till.fill("#price", "12.50")
    till.click("#add button[type=submit]")
    till.wait_for_function("document.getElementById('bar-total').textContent.indexOf('12.50') >= 0")
    assert till.locator("#price-error").is_hidden()
    assert till.locator(".basket-line").count() == 1
    _no_sideways_scroll(till)
    phone.close()


def test_on_a_phone_the_bar_keeps_the_total_and_charge_in_view(
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
    make_customer(db, lahore, name="Ayesha Khan", phone="+923001234567", locale="ur")
    items = [("CHARGER", "Fast charger", 200000), ("CABLE", "USB-C cable", 45000)]
    items += [(f"CASE-{n}", f"Phone case {n}", 90000 + n * 1000) for n in range(8)]
    for n, (sku, name, price) in enumerate(items):
        _sell_anonymously(db, lahore, f"SEED-{n}", sku, name, price, 20 - n)
    phone = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    till = phone.new_page()
    _sign_in(till, live_server, add_staff(db, lahore, "cashier"), "ur")
    till.fill("#q", "0300 1234567")
    till.press("#q", "Enter")
    till.wait_for_selector("#card:not([hidden])")

    def in_view(selector: str) -> bool:
        box = till.locator(selector).bounding_box()
        return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]

    pick = till.locator('#picks button[data-sku="CASE-7"]')
    pick.scroll_into_view_if_needed()
    pick.tap()
    # Feedback on the tap: the pick shows how many are in the basket, the bar says what was added.
    assert pick.locator(".in-basket").inner_text() == "×1"
    assert pick.locator(".in-basket").is_visible()
    _shows(till, "bar-note", _text("ur", "Added: %(name)s", name="Phone case 7"))
    pick.tap()
    assert pick.locator(".in-basket").inner_text() == "×2"
    till.wait_for_function("document.getElementById('bar-total').textContent.indexOf('1,940') >= 0")
    assert till.inner_text("#bar-count") == _text("ur", "Items: %(count)s", count="2")
    assert till.inner_text("#bar-total") == till.inner_text("#t-total")
    # The bar's Charge and total are on screen wherever the page is, even at the top, where the
    # basket's own Charge is far below.
    for where in ("#picks", "#q", ".keys"):
        till.locator(where).scroll_into_view_if_needed()
        assert in_view("#pos-bar") and in_view("#bar-charge") and in_view("#bar-total")
        if where == "#q":
            assert not in_view("#commit")
    _no_sideways_scroll(till)
    if db.is_sqlite:
        till.locator("#picks").evaluate("picks => picks.scrollIntoView({block: 'center'})")
        till.wait_for_function("document.getAnimations().length === 0")  # the tap's flash done
        till.screenshot(path=str(SCREENSHOTS / "pos-phone-ur.png"))
    till.locator("#bar-charge").tap()
    till.wait_for_selector("#done:not([hidden])")
    assert in_view("#done-title")  # the receipt comes into view
    assert till.locator("#pos-bar").is_hidden()
    assert _count(db, select(func.count()).select_from(Purchase)) == len(items) + 1
    phone.close()


def test_after_a_sale_the_card_is_replaced_and_the_receipt_lists_the_items(
    live_server: LiveServer,  # noqa: F811
    browser: Any,  # noqa: F811
    db: Database,
) -> None:
    bakery = make_merchant(db, name="Shwe Bakery")
    mya = make_customer(db, bakery, name="Daw Mya", phone="+959781234567")
    give_points(db, bakery, mya.id, 35)

    def stamp_card(s: Any) -> None:
        program = loyalty.current_program(s, bakery.ctx)[1]
        program.stamp_cards = [
            StampCard(
                code="cake",
                name="Cake card",
                stamps_required=5,
                skus=["CAKE-1"],
                reward_name="Free cake",
            )
        ]
        loyalty.save_program(s, bakery.ctx, program)

    db.run(stamp_card)
    _sell_anonymously(db, bakery, "SEED-1", "CAKE-1", "Gold cake", 5000, 3)
    _sell_anonymously(db, bakery, "SEED-2", "TEA", "Tea", 1500, 2)
    first = CheckoutIn.model_validate(  # one stamp before today's sale
        {
            "receipt_id": "OLD-1",
            "customer": {"id": str(mya.id)},
            "lines": [{"sku": "CAKE-1", "name": "Gold cake", "quantity": 1, "unit_price": 500}],
        }
    )
    db.run(lambda s: checkout.commit(s, bakery.ctx, first))
    till = browser.new_page(viewport={"width": 1280, "height": 900})
    _sign_in(till, live_server, add_staff(db, bakery, "cashier"), "en")
    till.fill("#q", "09 7812 34567")
    till.press("#q", "Enter")
    till.wait_for_selector("#card:not([hidden])")
    assert till.inner_text("#c-balance") == "35 points"
    assert till.inner_text("#c-stamps").startswith("Cake card: 1 of 5 stamps")
    till.click('#picks button[data-sku="CAKE-1"]')
    till.click('#picks button[data-sku="CAKE-1"]')
    till.click('#picks button[data-sku="TEA"]')
    _total_is(till, "MMK11,500")
    till.click("#commit")
    till.wait_for_selector("#done:not([hidden])")

    # The panel shows the card after the sale; the old balance and stamps are gone from the page.
    assert till.inner_text("#c-balance") == "46 points"
    assert till.inner_text("#c-stamps").startswith("Cake card: 3 of 5 stamps")
    page_text = till.inner_text("body")
    assert "35 points" not in page_text and "1 of 5" not in page_text
    assert till.inner_text("#d-balance") == "46 points"
    assert till.is_disabled("#c-clear")  # the card is shown, not edited, until the next sale

    # The receipt: each line with its quantity and amount, then the sums and loyalty lines.
    rows = till.eval_on_selector_all(
        "#d-items tbody tr",
        "rows => rows.map(r => Array.from(r.children, c => c.textContent))",
    )
    # The customer has no language of their own: the receipt is in the shop's, Burmese, all of
    # it, while the cashier's screen stays in English.
    assert till.get_attribute("#d-print", "lang") == "my"
    assert rows == [["Gold cake", "2", "10,000\xa0K"], ["Tea", "1", "1,500\xa0K"]]
    foot = till.eval_on_selector_all(
        "#d-items tfoot tr",
        "rows => rows.map(r => Array.from(r.children, c => c.textContent))",
    )
    assert foot == [[_text("my", "Subtotal"), "", "11,500\xa0K"]]
    assert till.inner_text("#d-items thead").strip() == "\t".join(
        _text("my", label) for label in ("Item", "Quantity", "Amount")
    )
    assert till.inner_text("#d-receipt").splitlines()[0] == "စုစုပေါင်း: 11,500\xa0K"
    assert till.inner_text("#done-title") == "Sale recorded"
    # Printed, the receipt is all there is on the page.
    till.emulate_media(media="print")
    assert till.locator("#d-items").is_visible() and till.locator("#d-receipt").is_visible()
    for hidden in ("header.bar", ".pos-customer", ".pos-entry", "#done-title", "#next-sale"):
        assert till.locator(hidden).is_hidden(), hidden
    till.emulate_media(media="screen")

    # The next sale starts clean.
    till.click("#next-sale")
    till.wait_for_selector("#basket:not([hidden])")
    assert till.locator("#card").is_hidden()

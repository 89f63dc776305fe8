"""Coupons at the till in a real browser: a cashier types a code and sees why it cannot be used,
applies a good one (any case, without its dashes), charges, and the code is used once; a second
sale with the same code is told it was already used. The same in Urdu on a phone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from regulars.db import Database
from regulars.offers import service as offers
from regulars.offers.models import CouponCode, CouponRedemption
from regulars.offers.schemas import CampaignCreate
from regulars.web import i18n
from tests.factories import Shop, make_merchant
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    PHONE,
    SCREENSHOTS,
    LiveServer,
    _no_sideways_scroll,
    browser,
    live_server,
)
from tests.web.test_pos_browser import _sell_anonymously, _sign_in
from tests.web.test_pos_pages import add_staff

pytestmark = pytest.mark.browser


def _campaign(db: Database, shop: Shop, **fields: Any) -> Any:
    data = CampaignCreate.model_validate({"name": "Coupon", "kind": "amount_off"} | fields)
    return db.run(lambda s: offers.create_campaign(s, shop.ctx, data))


def _one_code(db: Database, shop: Shop, campaign_id: Any) -> str:
    db.run(lambda s: offers.add_codes(s, shop.ctx, campaign_id, 1))
    q = select(CouponCode.code).where(CouponCode.campaign_id == campaign_id)
    return str(db.run(lambda s: s.scalar(q), write=False))


def _count(db: Database, q: Any) -> int:
    return int(db.run(lambda s: s.scalar(q), write=False) or 0)


def _basket(till: Any, total: str) -> None:
    till.click('#picks button[data-sku="CHARGER"]')
    till.wait_for_function(f"document.getElementById('t-total').textContent === '{total}'")


def test_cashier_applies_a_coupon_and_sees_why_another_fails(
    live_server: LiveServer,  # noqa: F811
    browser: Any,  # noqa: F811
    db: Database,
) -> None:
    lahore = make_merchant(
        db, name="Lahore Mobiles", country="PK", currency="PKR", timezone="Asia/Karachi",
        locale="ur",
    )  # fmt: skip
    _sell_anonymously(db, lahore, "SEED-1", "CHARGER", "Fast charger", 200000, 2)
    flyer = _campaign(db, lahore, name="Flyer", value=50000)
    code = _one_code(db, lahore, flyer.id)
    _campaign(db, lahore, name="Big spenders", value=10000, code="BIG", min_spend=10_000_000)
    email = add_staff(db, lahore, "cashier")

    till = browser.new_page(viewport={"width": 1280, "height": 800})
    _sign_in(till, live_server, email, "en")
    _basket(till, "PKR2,000.00")

    till.fill("#coupon", "NOPE-NOPE")
    till.press("#coupon", "Enter")
    till.wait_for_selector("#coupon-error:not([hidden])")
    assert till.inner_text("#coupon-error") == "This code is not known here. Check the spelling."
    assert till.input_value("#coupon") == "NOPE-NOPE"  # kept, to be corrected

    till.fill("#coupon", "big")
    till.click("#coupon-apply")
    till.wait_for_function(
        "document.getElementById('coupon-error').textContent.indexOf('minimum spend') > 0"
    )

    till.fill("#coupon", code.lower())  # lower case, no dashes: as a cashier may type it
    till.press("#coupon", "Enter")
    till.wait_for_function("document.getElementById('t-total').textContent === 'PKR1,500.00'")
    printed = f"{code[:4]}-{code[4:8]}-{code[8:]}"
    assert till.inner_text("#coupons .coupon-row").split("\n")[0] == printed
    assert till.inner_text("#t-discount") == "−PKR500.00"
    assert till.is_hidden("#coupon-error")
    if db.is_sqlite:
        till.screenshot(path=str(SCREENSHOTS / "pos-coupon.png"), full_page=True)

    till.click("#commit")
    till.wait_for_selector("#done:not([hidden])")
    assert _count(db, select(func.count()).select_from(CouponRedemption)) == 1
    till.click("#next-sale")

    # The same code on the next sale: already used, said in Urdu on a phone.
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = phone.new_page()
    _sign_in(page, live_server, email, "ur")
    _basket(page, i18n.money(200000, "PKR", "ur"))
    page.fill("#coupon", printed)
    page.click("#coupon-apply")
    page.wait_for_selector("#coupon-error:not([hidden])")
    assert page.inner_text("#coupon-error") == "یہ کوڈ پہلے ہی استعمال ہو چکا ہے۔"
    assert page.get_attribute("html", "dir") == "rtl"
    _no_sideways_scroll(page)
    if db.is_sqlite:
        page.screenshot(path=str(SCREENSHOTS / "pos-coupon-ur.png"), full_page=True)
    phone.close()
    assert _count(db, select(func.count()).select_from(CouponRedemption)) == 1


def test_a_manager_makes_a_campaign_and_its_codes_on_a_phone_in_urdu(
    live_server: LiveServer,  # noqa: F811
    browser: Any,  # noqa: F811
    db: Database,
) -> None:
    lahore = make_merchant(
        db, name="Lahore Mobiles", country="PK", currency="PKR", timezone="Asia/Karachi",
        locale="ur",
    )  # fmt: skip
    email = add_staff(db, lahore, "manager")
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = phone.new_page()
    _sign_in(page, live_server, email, "ur")
    page.goto(f"{live_server.url}/coupons")
    page.fill('input[name="name"]', "عید آفر")
    page.select_option('select[name="kind"]', "amount_off")
    page.fill('input[name="value"]', "abc")
    page.click("form.new-reward button.primary")
    page.wait_for_selector(".field-error")
    assert page.input_value('input[name="name"]') == "عید آفر"  # kept, with the reason
    _no_sideways_scroll(page)
    if db.is_sqlite:
        page.screenshot(path=str(SCREENSHOTS / "coupons-new-ur.png"), full_page=True)
    page.fill('input[name="value"]', "250")
    page.fill('input[name="code"]', "eid-250")
    page.click("form.new-reward button.primary")
    page.wait_for_url("**/coupons/*")
    page.fill('input[name="count"]', "2500")  # beyond what a request makes itself: a job
    page.click('form[action$="/codes"] button')
    page.wait_for_selector('#codes .notice[role="status"]', timeout=60_000)  # after the bar
    assert page.inner_text("#codes .notice") == "2,500 کوڈ بن گئے۔"
    with page.expect_download() as got:
        page.click('a[href$="/codes.csv"]')
    path = got.value.path()
    with open(path, encoding="utf-8") as fh:
        rows = fh.read().splitlines()
    assert len(rows) == 1 + 1 + 2500  # the header, EID250 and the codes
    _no_sideways_scroll(page)
    if db.is_sqlite:
        page.screenshot(path=str(SCREENSHOTS / "coupon-ur.png"), full_page=True)
    phone.close()
    desk = browser.new_page(viewport={"width": 1280, "height": 800})
    _sign_in(desk, live_server, email, "ms")
    desk.goto(f"{live_server.url}/coupons")
    assert "Digunakan 0 kali" in desk.inner_text(".list")
    if db.is_sqlite:
        desk.screenshot(path=str(SCREENSHOTS / "coupons-ms.png"), full_page=True)
    count = select(func.count()).select_from(CouponCode)
    assert _count(db, count) == 2501

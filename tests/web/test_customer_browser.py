"""A manager fixes a customer in a real browser, on a phone, in Urdu: edits the profile (dates,
custom fields, tags, consent), then finds the same person's second record by phone and merges
it. The same pages on a desktop in English. Screenshots from the SQLite leg only."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from regulars.customers.models import Customer
from regulars.db import Database
from regulars.loyalty import ledger
from regulars.loyalty import service as loyalty
from tests.factories import PASSWORD, Shop, make_customer, make_merchant
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    PHONE,
    LiveServer,
    _no_sideways_scroll,
    browser,
    live_server,
)
from tests.web.test_pos_pages import give_points

pytestmark = pytest.mark.browser
# Not pictures for the README: always the scratch folder, never docs/.
SCREENSHOTS = Path(tempfile.gettempdir()) / "regulars-screenshots"


def _sign_in(page: Any, server: LiveServer, shop: Shop, path: str, lang: str) -> None:
    page.goto(f"{server.url}{path}")
    page.wait_for_url("**/login?next=*")
    page.fill('input[name="email"]', shop.owner_email)
    page.fill('input[name="password"]', PASSWORD)
    page.click('form[action="/login"] button[type="submit"]')
    page.wait_for_url(f"{server.url}{path}")
    page.click(".langs summary")
    page.click(f'.lang-list button[value="{lang}"]')
    page.wait_for_url(f"{server.url}{path}")


def _stored(db: Database, shop: Shop, customer_id: Any) -> Customer:
    q = (
        select(Customer)
        .where(Customer.merchant_id == shop.id, Customer.id == customer_id)
        .options(selectinload(Customer.consents))
    )
    return db.run(lambda s: s.scalars(q).one(), write=False)


def _shot(page: Any, name: str, shots: bool) -> None:
    if shots:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_a_manager_edits_and_merges_customers_on_a_phone_in_urdu(
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
    ayesha = make_customer(
        db,
        lahore,
        name="عائشہ خان",
        phone="0300 1234567",
        attributes={"گاڑی": "Suzuki Alto"},
        consent={"sms": True},
    )
    twin = make_customer(
        db,
        lahore,
        name="Ayesha Khan",
        phone="0300 7654321",
        email="ayesha@example.com",
        tags=["online"],
    )
    give_points(db, lahore, ayesha.id, 150)
    give_points(db, lahore, twin.id, 40)
    shots = db.is_sqlite

    page = browser.new_page(viewport=PHONE)
    _sign_in(page, live_server, lahore, f"/customers/{ayesha.id}", "ur")
    assert page.get_attribute("html", "dir") == "rtl"

    # Edit: a date, a second custom field, a tag, consent for WhatsApp.
    page.click(f'a[href="/customers/{ayesha.id}/edit"]')
    page.wait_for_url(f"**/customers/{ayesha.id}/edit")
    assert page.input_value('input[name="attr_value"] >> nth=0') == "Suzuki Alto"
    page.fill('input[name="anniversary"]', "2015-12-01")
    page.fill('input[name="attr_key"] >> nth=1', "رنگ")
    page.fill('input[name="attr_value"] >> nth=1', "سفید")
    page.fill('input[name="tags"]', "وی آئی پی")
    page.select_option('select[name="consent"] >> nth=2', "whatsapp:yes")
    _no_sideways_scroll(page)
    _shot(page, "staff-customer-edit-ur-phone.png", shots)
    page.click('form.edit-form button[type="submit"]')
    page.wait_for_url(f"{live_server.url}/customers/{ayesha.id}")
    assert "سفید" in page.inner_text("main") and "وی آئی پی" in page.inner_text(".tags")
    saved = _stored(db, lahore, ayesha.id)
    assert saved.anniversary == date(2015, 12, 1)
    assert saved.attributes == {"گاڑی": "Suzuki Alto", "رنگ": "سفید"}
    assert {c.channel: c.granted for c in saved.consents} == {"sms": True, "whatsapp": True}

    # Merge: find the second record by its phone, keep this one.
    page.click(f'a[href="/customers/{ayesha.id}/merge"]')
    page.fill('input[name="q"]', "0300-7654321")
    page.click('form.search button[type="submit"]')
    page.click(f'a[href="/customers/{ayesha.id}/merge?other={twin.id}"]')
    confirm = page.locator("form.merge-confirm")
    assert "190" in confirm.inner_text()  # 150 + 40, before anything is done
    assert page.is_checked(f'input[name="survivor"][value="{ayesha.id}"]')
    _no_sideways_scroll(page)
    _shot(page, "staff-customer-merge-ur-phone.png", shots)
    page.click('form.merge-confirm button[type="submit"]')
    page.wait_for_url(f"**/customers/{ayesha.id}?merged=1")
    assert page.locator("p.notice").is_visible()
    assert page.inner_text(".loyalty-panel .counts dd >> nth=0") == "190"
    _no_sideways_scroll(page)
    _shot(page, "staff-customer-merged-ur-phone.png", shots)

    kept, gone = _stored(db, lahore, ayesha.id), _stored(db, lahore, twin.id)
    assert (kept.email, kept.tags) == ("ayesha@example.com", ["وی آئی پی", "online"])
    assert gone.erased_at is not None and gone.merged_into_id == ayesha.id
    sums = db.run(
        lambda s: (
            ledger.balance(s, lahore.ctx, ayesha.id),
            loyalty.ledger_sum(s, lahore.ctx, ayesha.id),
        ),
        write=False,
    )
    assert sums == (190, 190)
    page.close()


def test_the_edit_and_merge_pages_on_a_desktop_in_english(
    live_server: LiveServer,  # noqa: F811
    browser: Any,  # noqa: F811
    db: Database,
) -> None:
    shop = make_merchant(db, name="Shwe Bakery")
    mya = make_customer(
        db,
        shop,
        name="Daw Mya Mya",
        phone="09 7812 34567",
        birthday="1991-05-14",
        consent={"sms": True, "email": False},
    )
    other = make_customer(db, shop, name="Mya Mya", email="mya@example.com")
    shots = db.is_sqlite
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    _sign_in(page, live_server, shop, f"/customers/{mya.id}/edit", "en")
    # Two wrong fields at once: both are marked, and what was typed stays.
    page.fill('input[name="phone"]', "12")
    page.fill('input[name="email"]', "mya@example")  # the browser lets it through
    page.click('form.edit-form button[type="submit"]')
    assert page.locator('input[name="phone"][aria-invalid="true"]').count() == 1
    assert page.locator('input[name="email"][aria-invalid="true"]').count() == 1
    assert page.input_value('input[name="email"]') == "mya@example"
    _shot(page, "staff-customer-edit-errors-en.png", shots)
    page.goto(f"{live_server.url}/customers/{mya.id}/merge?other={other.id}")
    page.check(f'input[name="survivor"][value="{other.id}"]')
    _shot(page, "staff-customer-merge-en.png", shots)
    page.click('form.merge-confirm button[type="submit"]')
    page.wait_for_url(f"**/customers/{other.id}?merged=1")
    assert page.inner_text("h1") == "Mya Mya"
    _shot(page, "staff-customer-merged-en.png", shots)
    kept = _stored(db, shop, other.id)
    assert (kept.phone, kept.birthday) == ("+959781234567", date(1991, 5, 14))
    page.goto(f"{live_server.url}/customers/{other.id}/erase")
    _shot(page, "staff-customer-erase-en.png", shots)
    page.click("form.danger-zone button.danger")  # the box is required: nothing happens yet
    assert _stored(db, shop, other.id).erased_at is None
    page.check('input[name="confirm"]')
    page.click("form.danger-zone button.danger")
    page.wait_for_url(f"**/customers/{other.id}/erased")
    assert _stored(db, shop, other.id).erased_at is not None
    page.close()

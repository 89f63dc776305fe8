"""The real app under uvicorn on loopback, driven by Debian's Chromium through Playwright.

Never downloads a browser: without /usr/bin/chromium the test is skipped with the reason, and
fails instead when CI=true. Screenshots are written from the SQLite leg only, so they stay stable.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from regulars.app import create_app
from regulars.db import Database
from regulars.messaging.channels import MemoryChannel
from regulars.settings import Settings
from tests.factories import PASSWORD, make_customer, make_merchant
from tests.messaging.helpers import DeliveringChannel

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The README's pictures are rendered again only when asked (`make screenshots`); an ordinary test
# run takes them too, into a scratch folder, so a run leaves the tree as it was.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("REGULARS_SCREENSHOTS") == "docs"
    else Path(tempfile.gettempdir()) / "regulars-screenshots"
)
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


@dataclass
class LiveServer:
    url: str
    channel: MemoryChannel


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(settings: Settings, db: Database) -> Iterator[LiveServer]:
    app = create_app(settings, db)
    channel = DeliveringChannel(db)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", channel)
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and the browser test cannot run: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _no_sideways_scroll(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


def _portal_sign_in(page, server: LiveServer, slug: str, typed: str, e164: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server.url}/p/{slug}/")
    page.fill('input[name="phone"]', typed)
    page.click('form[action$="/code"] button[type="submit"]')
    page.wait_for_url(f"**/p/{slug}/verify")
    message = server.channel.last_to(e164)
    assert message is not None
    code = re.search(r"\b(\d{6})\b", message.body)
    assert code
    page.fill('input[name="code"]', code.group(1))
    page.click('form[action$="/verify"] button[type="submit"]')
    page.wait_for_url(f"**/p/{slug}/")


def test_staff_search_and_portal_card(live_server: LiveServer, browser, db: Database) -> None:  # type: ignore[no-untyped-def]
    yangon = make_merchant(db, name="Shwe Bakery")
    mya = make_customer(
        db,
        yangon,
        name="ဒေါ်မြမြ",
        phone="+959781234567",
        email="mya@example.com",
        tags=["cake lover", "wholesale"],
        attributes={"favourite": "Shwe cake"},
        consent={"sms": True, "email": False},
    )
    make_customer(db, yangon, name="Ko Zaw", phone="+959420000001")
    lahore = make_merchant(db, name="Lahore Mobiles", country="PK", currency="PKR",
                           timezone="Asia/Karachi", locale="ur")  # fmt: skip
    ayesha = make_customer(db, lahore, name="عائشہ خان", phone="0300 1234567", locale="ur")
    shots = db.is_sqlite
    if shots:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # Staff: sign in, switch to English, search by a local phone format, open the customer.
    staff = browser.new_page(viewport={"width": 1024, "height": 900})
    staff.goto(f"{live_server.url}/customers")
    staff.wait_for_url("**/login?next=*")
    staff.fill('input[name="email"]', yangon.owner_email)
    staff.fill('input[name="password"]', PASSWORD)
    staff.click('form[action="/login"] button[type="submit"]')
    staff.wait_for_url(f"{live_server.url}/customers")
    assert staff.get_attribute("html", "lang") == "my"  # the shop's language
    staff.click(".langs summary")
    staff.click('.lang-list button[value="en"]')
    staff.wait_for_url(f"{live_server.url}/customers")
    assert staff.get_attribute("html", "lang") == "en"
    staff.fill('input[name="q"]', "09 7812 34567")
    staff.press('input[name="q"]', "Enter")
    staff.wait_for_url("**/customers?q=*")
    results = staff.locator(".list-item")
    assert results.count() == 1
    results.first.click()
    staff.wait_for_url(f"{live_server.url}/customers/{mya.id}")
    assert staff.inner_text("h1") == "ဒေါ်မြမြ"
    assert "+95 9 781 234567" in staff.inner_text(".facts")
    staff.fill('textarea[name="body"]', "Orders a birthday cake every March.")
    staff.click('form[action$="/notes"] button[type="submit"]')
    staff.wait_for_url(f"**/customers/{mya.id}#timeline")
    assert "Orders a birthday cake every March." in staff.inner_text(".timeline")
    if shots:
        staff.screenshot(path=str(SCREENSHOTS / "staff-customer.png"), full_page=True)
    staff.set_viewport_size({"width": 360, "height": 740})
    _no_sideways_scroll(staff)
    staff.goto(f"{live_server.url}/customers")
    _no_sideways_scroll(staff)

    # Portal, on a phone: sign in by phone and one-time code, see the Urdu member card.
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    card = phone.new_page()
    _portal_sign_in(card, live_server, lahore.ctx.merchant.slug, "0300 1234567", "+923001234567")
    assert card.get_attribute("html", "dir") == "rtl"
    assert card.get_attribute("html", "lang") == "ur"
    assert card.inner_text(".card-name") == "عائشہ خان"
    code = ayesha.member_code
    assert card.inner_text(".member-code") == f"{code[:4]}-{code[4:]}"
    qr = card.locator(".qr svg")
    assert qr.count() == 1
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 200  # big enough for a till scanner
    _no_sideways_scroll(card)
    if shots:
        card.screenshot(path=str(SCREENSHOTS / "portal-card-ur.png"))

    # The same portal in Burmese (the Yangon shop's customer).
    burmese = phone.new_page()
    _portal_sign_in(burmese, live_server, yangon.ctx.merchant.slug, "09 7812 34567",
                    "+959781234567")  # fmt: skip
    assert burmese.get_attribute("html", "lang") == "my"
    assert burmese.inner_text(".card-name") == "ဒေါ်မြမြ"
    _no_sideways_scroll(burmese)
    if shots:
        burmese.screenshot(path=str(SCREENSHOTS / "portal-card-my.png"))
    phone.close()

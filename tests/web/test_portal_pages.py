from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars.customers.models import Customer
from regulars.db import Database
from regulars.kit import clock
from regulars.messaging.channels import MemoryChannel
from tests.factories import Shop, make_customer, make_merchant
from tests.web.conftest import csrf_of

T0 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


def _pakistan(db: Database) -> Shop:
    return make_merchant(db, name="Lahore Mobiles", country="PK", currency="PKR",
                         timezone="Asia/Karachi", locale="ur")  # fmt: skip


def _ask(client: TestClient, shop: Shop, phone: str):  # type: ignore[no-untyped-def]
    base = f"/p/{shop.ctx.merchant.slug}/"
    token = csrf_of(client, base)
    return client.post(base + "code", data={"phone": phone, "csrf": token}, follow_redirects=False)


def _enter(client: TestClient, shop: Shop, code: str):  # type: ignore[no-untyped-def]
    base = f"/p/{shop.ctx.merchant.slug}/"
    token = csrf_of(client, base + "verify")
    return client.post(base + "verify", data={"code": code, "csrf": token}, follow_redirects=False)


def _code(channel: MemoryChannel, to: str) -> str:
    message = channel.last_to(to)
    assert message is not None
    found = re.search(r"\b(\d{6})\b", message.body)
    assert found
    return found.group(1)


def test_sign_in_by_phone_and_code_shows_the_member_card_in_urdu(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = _pakistan(db)
    customer = make_customer(db, shop, name="عائشہ خان", phone="0300 1234567", locale="ur")
    base = f"/p/{shop.ctx.merchant.slug}/"
    first = client.get(base)
    assert first.status_code == 200
    assert 'name="phone"' in first.text
    r = _ask(client, shop, "0300-1234567")
    assert (r.status_code, r.headers["location"]) == (303, base + "verify")
    code = _code(channel, "+923001234567")
    assert channel.sent[0].body.startswith("Lahore Mobiles: آپ کا سائن اِن کوڈ")
    r = _enter(client, shop, code)
    assert (r.status_code, r.headers["location"]) == (303, base)
    card = client.get(base).text
    assert '<html lang="ur" dir="rtl">' in card
    assert "عائشہ خان" in card
    code_shown = f"{customer.member_code[:4]}-{customer.member_code[4:]}"
    assert code_shown in card
    assert re.search(r'<svg viewBox="0 0 \d+ \d+" role="img"', card)


def test_wrong_code_does_not_sign_in(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, phone="09 7812 34567")
    _ask(client, shop, "09 7812 34567")
    code = _code(channel, "+959781234567")
    r = _enter(client, shop, f"{(int(code) + 1) % 1_000_000:06d}")
    assert r.status_code == 401
    assert "ကုဒ် မှားနေသည်" in r.text  # a Burmese shop, so Burmese pages
    assert 'name="phone"' in client.get(f"/p/{shop.ctx.merchant.slug}/").text


def test_expired_code_does_not_sign_in(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, phone="09 7812 34567")
    with clock.frozen(T0):
        _ask(client, shop, "09 7812 34567")
    with clock.frozen(T0 + timedelta(minutes=6)):
        r = _enter(client, shop, _code(channel, "+959781234567"))
    assert r.status_code == 401
    assert 'name="phone"' in client.get(f"/p/{shop.ctx.merchant.slug}/").text


def test_too_many_code_requests_get_429(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, phone="09 7812 34567")
    statuses = [_ask(client, shop, "09 7812 34567").status_code for _ in range(6)]
    assert statuses == [303] * 5 + [429]
    assert len(channel.sent) == 5
    stranger = [_ask(client, shop, "09 4200 00001").status_code for _ in range(6)]
    assert stranger == statuses  # an unknown phone answers exactly like a known one


def test_bad_phone_and_unknown_shop(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db, name="KL Kopi", country="MY", currency="MYR",
                         timezone="Asia/Kuala_Lumpur", locale="ms")  # fmt: skip
    r = _ask(client, shop, "12")
    assert r.status_code == 422
    assert "Nombor telefon ini tidak sah." in r.text
    assert client.get("/p/no-such-shop/").status_code == 404


def test_card_language_switch_is_saved_on_the_customer(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = _pakistan(db)
    make_customer(db, shop, name="Ayesha", phone="0300 1234567")
    _ask(client, shop, "0300 1234567")
    _enter(client, shop, _code(channel, "+923001234567"))
    base = f"/p/{shop.ctx.merchant.slug}/"
    assert '<html lang="ur" dir="rtl">' in client.get(base).text  # the shop's language
    token = csrf_of(client, base)
    client.post(base + "lang", data={"lang": "en", "csrf": token})
    assert '<html lang="en" dir="ltr">' in client.get(base).text
    locale = db.run(lambda s: s.scalar(select(Customer.locale)), write=False)
    assert locale == "en"
    client.post(base + "sign-out", data={"csrf": csrf_of(client, base)})
    assert 'name="phone"' in client.get(base).text


def test_portal_pages_render_in_every_language(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, name="Ma Ma", phone="09 7812 34567")
    base = f"/p/{shop.ctx.merchant.slug}/"
    _ask(client, shop, "09 7812 34567")
    _enter(client, shop, _code(channel, "+959781234567"))
    words = {"en": "Member card", "my": "အသင်းဝင်ကတ်", "ur": "ممبر کارڈ", "lo": "ບັດສະມາຊິກ",
             "ms": "Kad ahli"}  # fmt: skip
    signed_out = TestClient(client.app)
    for lang, word in words.items():
        client.post(base + "lang", data={"lang": lang, "csrf": csrf_of(client, base)})
        card = client.get(base).text
        assert f'<html lang="{lang}"' in card and word in card, lang
        sign_in_page = signed_out.get(base, params={"lang": lang}).text
        assert f'<html lang="{lang}"' in sign_in_page, lang


def test_one_browser_can_hold_cards_of_two_shops(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    first, second = _pakistan(db), make_merchant(db, name="Shwe Bakery")
    make_customer(db, first, name="Ayesha", phone="0300 1234567")
    make_customer(db, second, name="Ma Ma", phone="09 7812 34567")
    _ask(client, first, "0300 1234567")
    _enter(client, first, _code(channel, "+923001234567"))
    _ask(client, second, "09 7812 34567")
    r = _enter(client, second, _code(channel, "+959781234567"))
    assert r.headers["location"] == f"/p/{second.ctx.merchant.slug}/"
    assert "Ayesha" in client.get(f"/p/{first.ctx.merchant.slug}/").text
    assert "Ma Ma" in client.get(f"/p/{second.ctx.merchant.slug}/").text

"""Joining from the portal: nothing is stored until the phone is confirmed; a member who asks to
join is signed in instead (and the two answers look alike); the sign-up bonus comes once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.customers.models import Consent, Customer
from regulars.db import Database
from regulars.kit import clock
from regulars.messaging.channels import MemoryChannel
from tests.factories import Shop, make_customer, make_merchant
from tests.loyalty.test_signup import entries, set_signup_points
from tests.web.conftest import csrf_of
from tests.web.test_portal_pages import _code, _enter


def _join(client: TestClient, shop: Shop, phone: str, **extra: str):  # type: ignore[no-untyped-def]
    base = f"/p/{shop.ctx.merchant.slug}/"
    data = {"phone": phone, "agree": "true", "csrf": csrf_of(client, base + "join")} | extra
    return client.post(base + "join", data=data, follow_redirects=False)


def _customers(db: Database) -> int:
    return int(db.run(lambda s: s.scalar(select(func.count()).select_from(Customer)), write=False))


def test_joining_needs_consent_and_a_valid_phone(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db)
    r = _join(client, shop, "09 7812 34567", agree="")
    assert r.status_code == 422
    assert 'aria-describedby="agree-error"' in r.text
    r = _join(client, shop, "12")
    assert r.status_code == 422
    assert 'aria-describedby="phone-error"' in r.text
    assert (channel.sent, _customers(db)) == ([], 0)


def test_a_wrong_code_makes_no_member_and_the_right_one_makes_one(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db)
    set_signup_points(db, shop, 40)
    base = f"/p/{shop.ctx.merchant.slug}/"
    r = _join(client, shop, "09 7812 34567", name="Daw Mya", offers="true")
    assert (r.status_code, r.headers["location"]) == (303, base + "verify")
    code = _code(channel, "+959781234567")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert _enter(client, shop, wrong).status_code == 401
    assert _customers(db) == 0
    r = _enter(client, shop, code)
    assert (r.status_code, r.headers["location"]) == (303, base)
    customer = db.run(lambda s: s.scalars(select(Customer)).one(), write=False)
    assert (customer.name, customer.phone, customer.source) == (
        "Daw Mya",
        "+959781234567",
        "portal",
    )
    assert entries(db, shop, customer.id) == [(40, "bonus", "signup")]
    granted = db.run(
        lambda s: [(c.channel, c.granted) for c in s.scalars(select(Consent))], write=False
    )
    assert granted == [("sms", True)]
    assert _enter(client, shop, code).status_code == 303  # already signed in: home
    assert (_customers(db), entries(db, shop, customer.id)) == (1, [(40, "bonus", "signup")])


def test_a_member_who_asks_to_join_is_signed_in_and_gets_no_second_bonus(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop, name="Daw Mya", phone="09 7812 34567")
    set_signup_points(db, shop, 40)  # after she joined: she does not get it now
    stranger = _join(client, shop, "09 7812 34568")
    member = _join(client, shop, "09 7812 34567")
    assert (stranger.status_code, stranger.headers["location"]) == (
        member.status_code,
        member.headers["location"],
    )
    base = f"/p/{shop.ctx.merchant.slug}/"
    assert "09 7812 34567" in client.get(base + "verify").text
    r = _enter(client, shop, _code(channel, "+959781234567"))
    assert (r.status_code, r.headers["location"]) == (303, base)
    assert "Daw Mya" in client.get(base).text
    assert _customers(db) == 1
    assert entries(db, shop, mya.id) == []


def test_an_expired_join_code_makes_no_member(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db)
    t0 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    with clock.frozen(t0):
        _join(client, shop, "09 7812 34567")
    with clock.frozen(t0 + timedelta(minutes=6)):
        assert _enter(client, shop, _code(channel, "+959781234567")).status_code == 401
    assert _customers(db) == 0

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from regulars.customers import portal
from regulars.customers.models import PortalCode
from regulars.db import Database
from regulars.kit import clock
from regulars.kit.errors import InvalidField, TooManyRequests
from regulars.messaging.channels import MemoryChannel
from tests.factories import Shop, make_customer, make_merchant
from tests.messaging.helpers import DeliveringChannel

T0 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
PHONE = "+959781234567"


def _ask(db: Database, shop: Shop, sent: MemoryChannel, phone: str = "09 7812 34567") -> None:
    db.run(lambda s: portal.request_code(s, shop.ctx.merchant, phone))


def _code(sent: MemoryChannel, to: str = PHONE) -> str:
    message = sent.last_to(to)
    assert message is not None
    found = re.search(r"\b(\d{6})\b", message.body)
    assert found
    return found.group(1)


def _verify(db: Database, shop: Shop, code: str, phone: str = "09 7812 34567"):  # type: ignore[no-untyped-def]
    return db.run(lambda s: portal.verify_code(s, shop.ctx.merchant, phone, code))


def _rows(db: Database) -> list[PortalCode]:
    return list(db.run(lambda s: s.scalars(select(PortalCode)).all(), write=False))


def test_code_is_sent_and_only_its_hash_is_stored(db: Database) -> None:
    shop = make_merchant(db, name="Shwe Bakery")
    customer = make_customer(db, shop, phone=PHONE)
    sent = DeliveringChannel(db)
    with clock.frozen(T0):
        _ask(db, shop, sent)
    code = _code(sent)
    assert sent.sent[0].body == (
        f"Shwe Bakery: your sign-in code is {code}. It expires in 5 minutes."
    )
    [row] = _rows(db)
    expected = hashlib.sha256(f"{shop.id}:{customer.id}:{code}".encode()).hexdigest()
    assert row.code_hash == expected
    assert code not in row.code_hash
    assert row.expires_at == T0 + timedelta(seconds=300)
    with clock.frozen(T0 + timedelta(seconds=299)):
        assert _verify(db, shop, code) == customer.id
        assert _verify(db, shop, code) is None  # used once


def test_wrong_code_spends_an_attempt_and_five_burn_the_code(db: Database) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, phone=PHONE)
    sent = DeliveringChannel(db)
    _ask(db, shop, sent)
    code = _code(sent)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert [_verify(db, shop, wrong) for _ in range(5)] == [None] * 5
    assert _rows(db)[0].attempts == 5
    assert _verify(db, shop, code) is None
    assert _rows(db)[0].used_at is None


def test_expired_code_is_refused(db: Database) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, phone=PHONE)
    sent = DeliveringChannel(db)
    with clock.frozen(T0):
        _ask(db, shop, sent)
    with clock.frozen(T0 + timedelta(seconds=300)):
        assert _verify(db, shop, _code(sent)) is None


def test_a_new_code_retires_the_previous_one(db: Database) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop, phone=PHONE)
    sent = DeliveringChannel(db)
    with clock.frozen(T0):
        _ask(db, shop, sent)
    first = _code(sent)
    with clock.frozen(T0 + timedelta(seconds=10)):
        _ask(db, shop, sent)
        second = _code(sent)
        if first != second:
            assert _verify(db, shop, first) is None
        assert _verify(db, shop, second) == customer.id


def test_sixth_code_within_an_hour_is_refused(db: Database) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, phone=PHONE)
    sent = DeliveringChannel(db)
    for minute in range(5):
        with clock.frozen(T0 + timedelta(minutes=minute)):
            _ask(db, shop, sent)
    with clock.frozen(T0 + timedelta(minutes=30)), pytest.raises(TooManyRequests):
        _ask(db, shop, sent)
    assert (len(sent.sent), len(_rows(db))) == (5, 5)
    with clock.frozen(T0 + timedelta(minutes=60, seconds=1)):
        _ask(db, shop, sent)  # the first code is now more than an hour old
    assert len(sent.sent) == 6


def test_unknown_phone_looks_the_same_and_sends_nothing(db: Database) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, phone=PHONE)
    sent = DeliveringChannel(db)
    stranger = "09 4200 00001"
    for _ in range(5):
        assert _ask(db, shop, sent, stranger) is None
    with pytest.raises(TooManyRequests):
        _ask(db, shop, sent, stranger)
    assert (sent.sent, _rows(db)) == ([], [])
    assert _verify(db, shop, "123456", stranger) is None


def test_text_that_is_no_phone_number_names_the_field(db: Database) -> None:
    shop = make_merchant(db)
    with pytest.raises(InvalidField) as err:
        _ask(db, shop, DeliveringChannel(db), "12")
    assert err.value.field == "phone"


def test_rolled_back_request_sends_nothing(db: Database) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, phone=PHONE)
    sent = DeliveringChannel(db)

    def ask_then_fail(session):  # type: ignore[no-untyped-def]
        portal.request_code(session, shop.ctx.merchant, PHONE)
        raise RuntimeError("the request failed after the code was stored")

    with pytest.raises(RuntimeError):
        db.run(ask_then_fail)
    assert (sent.sent, _rows(db)) == ([], [])


def test_code_of_one_shop_does_not_open_another(db: Database) -> None:
    first, second = make_merchant(db, name="First"), make_merchant(db, name="Second")
    make_customer(db, first, phone=PHONE)
    theirs = make_customer(db, second, phone=PHONE)
    sent = DeliveringChannel(db)
    _ask(db, first, sent)
    code_first = _code(sent)
    _ask(db, second, sent)
    code_second = _code(sent)
    if code_first != code_second:
        assert _verify(db, second, code_first) is None
    assert _verify(db, second, code_second) == theirs.id

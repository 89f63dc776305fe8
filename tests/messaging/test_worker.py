"""The worker's rules: backoff and dead letter, consent at send time, the lease, the preferred
channel and its fallback by consent, several workers sharing the work."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from regulars.customers import service as customers
from regulars.customers.schemas import CustomerUpdate
from regulars.db import Database
from regulars.kit import clock
from regulars.messaging import config, outbox, service, worker
from regulars.messaging.models import OutboxMessage
from regulars.messaging.schemas import SmsSettings, TelegramSettings
from regulars.messaging.worker import Counts, deliver_once
from tests.factories import Shop, make_customer, make_merchant
from tests.messaging.servers import http_server

T0 = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)  # 10:30 in Yangon
PHONE = "+959781234567"
OK = (201, {"sid": "SM1"}, {})


def _sms(db: Database, shop: Shop, url: str) -> None:
    body = SmsSettings(account_sid="AC1", auth_token="t", sender="+1555", base_url=url)
    db.run(lambda s: config.put_channel(s, shop.ctx, "sms", body))


def _enqueue(db: Database, shop: Shop, customer_id: uuid.UUID | None, **kw) -> uuid.UUID:  # type: ignore[no-untyped-def]
    fields = {"kind": "note", "category": "transactional", "body": "hello"} | kw
    found = db.run(
        lambda s: outbox.enqueue(s, merchant_id=shop.id, customer_id=customer_id, **fields)
    )
    assert found is not None
    return found


def _row(db: Database, shop: Shop, message_id: uuid.UUID) -> OutboxMessage:
    with db.session() as s:
        row = s.get(OutboxMessage, (shop.id, message_id))
        assert row is not None
        return row


def test_transient_failures_back_off_exponentially_then_go_dead(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker.random, "uniform", lambda _low, high: high)  # the ceiling
    shop = make_merchant(db)
    customer = make_customer(db, shop, phone=PHONE)
    with http_server(lambda _r, _n: (503, {"message": "busy"}, {})) as srv:
        _sms(db, shop, srv.url)
        with clock.frozen(T0):
            message = _enqueue(db, shop, customer.id)
            assert deliver_once(db) == Counts(claimed=1, failed=1)
        row = _row(db, shop, message)
        assert (row.status, row.attempts, row.next_attempt_at, row.last_error) == (
            "failed",
            1,
            T0 + timedelta(seconds=30),
            "provider answered 503",
        )
        with clock.frozen(T0 + timedelta(seconds=29)):
            assert deliver_once(db) == Counts()  # not due yet
        with clock.frozen(T0 + timedelta(seconds=30)):
            assert deliver_once(db) == Counts(claimed=1, failed=1)
        row = _row(db, shop, message)
        assert (row.attempts, row.next_attempt_at) == (2, T0 + timedelta(seconds=90))
        with clock.frozen(T0 + timedelta(seconds=90)):
            assert deliver_once(db) == Counts(claimed=1, dead=1)  # max_attempts = 3
        with clock.frozen(T0 + timedelta(days=1)):
            assert deliver_once(db) == Counts()
        assert srv.count == 3
    row = _row(db, shop, message)
    assert (row.status, row.attempts, row.sent_at) == ("dead", 3, None)


def test_a_refused_request_goes_dead_at_once(db: Database) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop, phone=PHONE)
    with http_server(lambda _r, _n: (400, {"code": 21211}, {})) as srv:
        _sms(db, shop, srv.url)
        with clock.frozen(T0):
            message = _enqueue(db, shop, customer.id)
            assert deliver_once(db) == Counts(claimed=1, dead=1)
        assert srv.count == 1
    row = _row(db, shop, message)
    assert (row.status, row.attempts) == ("dead", 1)
    assert row.last_error == 'provider answered 400: {"code": 21211}'


def test_consent_withdrawn_after_enqueue_skips_the_marketing_message(db: Database) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop, phone=PHONE, consent={"sms": True})
    with http_server(lambda _r, _n: OK) as srv:
        _sms(db, shop, srv.url)
        with clock.frozen(T0):
            message = _enqueue(db, shop, customer.id, category="marketing")
            db.run(
                lambda s: customers.update_customer(
                    s, shop.ctx, customer.id, CustomerUpdate(consent={"sms": False})
                )
            )
            code = _enqueue(db, shop, customer.id, kind="signin_code")
            assert deliver_once(db) == Counts(claimed=2, sent=1, skipped=1)
        assert srv.count == 1
    row = _row(db, shop, message)
    assert (row.status, row.skip_reason, row.attempts) == ("skipped", "no_consent", 1)
    assert _row(db, shop, code).status == "sent"


def test_a_killed_workers_claim_comes_back_after_its_lease(db: Database) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop, phone=PHONE)
    with http_server(lambda _r, _n: OK) as srv:
        _sms(db, shop, srv.url)
        with clock.frozen(T0):
            message = _enqueue(db, shop, customer.id)
            [claim] = worker.claim(db, 10)  # ...and the worker dies here
            assert claim.until == T0 + timedelta(seconds=120)
            assert deliver_once(db) == Counts()
        with clock.frozen(T0 + timedelta(seconds=121)):
            assert deliver_once(db) == Counts(claimed=1, sent=1)
            assert worker.deliver(db, claim) == "lost"  # the old claim cannot record anything
        assert srv.count == 1
    row = _row(db, shop, message)
    assert (row.status, row.attempts, row.claimed_until) == ("sent", 2, None)


def test_preferred_channel_first_then_the_next_with_consent(db: Database) -> None:
    shop = make_merchant(db)
    customer = make_customer(
        db,
        shop,
        phone=PHONE,
        preferred_channel="telegram",
        consent={"telegram": False, "sms": True},
    )
    db.run(lambda s: service.set_address(s, shop.ctx, customer.id, "telegram", "9876"))
    tg = (200, {"ok": True, "result": {"message_id": 7}}, {})
    with http_server(lambda _r, _n: OK) as sms, http_server(lambda _r, _n: tg) as telegram:
        _sms(db, shop, sms.url)
        body = TelegramSettings(bot_token="1:abc", base_url=telegram.url)
        db.run(lambda s: config.put_channel(s, shop.ctx, "telegram", body))
        with clock.frozen(T0):
            offer = _enqueue(db, shop, customer.id, category="marketing")
            code = _enqueue(db, shop, customer.id, kind="signin_code")
            deliver_once(db)
        assert (sms.count, telegram.count) == (1, 1)
        assert sms.requests[0].form()["To"] == PHONE
        assert telegram.requests[0].json()["chat_id"] == "9876"
    assert _row(db, shop, offer).channel == "sms"  # telegram has no marketing consent
    assert _row(db, shop, code).channel == "telegram"  # transactional: the preferred one


def test_no_channel_with_consent_is_skipped_with_the_reason(db: Database) -> None:
    shop = make_merchant(db)
    with_phone = make_customer(db, shop, phone=PHONE)
    nothing = make_customer(db, shop, name="No Contact")
    with http_server(lambda _r, _n: OK) as srv:
        _sms(db, shop, srv.url)
        with clock.frozen(T0):
            a = _enqueue(db, shop, with_phone.id, category="marketing")
            b = _enqueue(db, shop, nothing.id)
            deliver_once(db)
        assert srv.count == 0
    assert (_row(db, shop, a).status, _row(db, shop, a).skip_reason) == ("skipped", "no_consent")
    assert (_row(db, shop, b).status, _row(db, shop, b).skip_reason) == ("skipped", "no_address")


def test_two_workers_share_the_work_and_send_each_message_once(db: Database) -> None:
    shop = make_merchant(db)
    with http_server(lambda _r, n: (201, {"sid": f"SM{n}"}, {})) as srv:
        _sms(db, shop, srv.url)

        def many(session) -> None:  # type: ignore[no-untyped-def]
            for i in range(200):
                outbox.enqueue(
                    session,
                    merchant_id=shop.id,
                    kind="note",
                    category="transactional",
                    channel="sms",
                    address=f"+9597{i:08d}",
                    body=f"message {i}",
                )

        with clock.frozen(T0):
            db.run(many)
            totals: list[Counts] = []
            threads = [
                threading.Thread(target=lambda: totals.append(deliver_once(db))) for _ in range(2)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        bodies = Counter(r.form()["Body"] for r in srv.requests)
    assert (len(bodies), max(bodies.values())) == (200, 1)
    assert sum(t.sent for t in totals) == 200
    with db.session() as s:
        statuses = Counter(s.scalars(select(OutboxMessage.status)))
    assert statuses == {"sent": 200}


def test_a_failing_renderer_is_retried_and_a_missing_one_is_dead(db: Database) -> None:
    def broken(_s, _m, _r):  # type: ignore[no-untyped-def]
        raise KeyError("name")

    outbox.register_renderer("test_broken", broken)
    shop = make_merchant(db)
    customer = make_customer(db, shop, phone=PHONE)
    with http_server(lambda _r, _n: OK) as srv:
        _sms(db, shop, srv.url)
        with clock.frozen(T0):
            bad = _enqueue(db, shop, customer.id, kind="test_broken", body=None)
            unknown = _enqueue(db, shop, customer.id, kind="test_no_such_kind", body=None)
            assert deliver_once(db) == Counts(claimed=2, failed=1, dead=1)
        assert srv.count == 0
    assert (_row(db, shop, bad).status, _row(db, shop, bad).last_error) == (
        "failed",
        "rendering failed: 'name'",
    )
    assert _row(db, shop, unknown).last_error == "no renderer for test_no_such_kind"


def test_erasing_a_customer_skips_their_messages_and_blanks_them(db: Database) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop, phone=PHONE, consent={"sms": True})
    db.run(lambda s: service.set_address(s, shop.ctx, customer.id, "telegram", "9876"))
    with clock.frozen(T0):
        message = _enqueue(db, shop, customer.id, category="marketing", body="Hi Ma Ma")
        db.run(lambda s: customers.erase_customer(s, shop.ctx, customer.id))
        assert deliver_once(db) == Counts()
    row = _row(db, shop, message)
    assert (row.status, row.skip_reason, row.body, row.address) == ("skipped", "erased", "", None)
    assert (
        db.run(lambda s: service.addresses(s, s.get(type(customer), (shop.id, customer.id)))) == {}
    )

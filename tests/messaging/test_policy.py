"""Anti-annoyance: the frequency cap and quiet hours apply to marketing at send time;
transactional messages pass both."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from regulars.db import Database
from regulars.kit import clock
from regulars.messaging import outbox
from regulars.messaging.models import OutboxMessage
from regulars.messaging.worker import Counts, deliver_once
from tests.factories import Shop, make_customer, make_merchant
from tests.messaging.servers import http_server
from tests.messaging.test_worker import OK, PHONE, _sms

T0 = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)  # 10:30 in Yangon, 12:00 in Kuala Lumpur


def _offer(
    db: Database, shop: Shop, customer_id: uuid.UUID, category: str = "marketing"
) -> uuid.UUID:
    found = db.run(
        lambda s: outbox.enqueue(
            s,
            merchant_id=shop.id,
            kind="campaign",
            category=category,  # type: ignore[arg-type]
            customer_id=customer_id,
            body="20% off cakes this week",
        )
    )
    assert found is not None
    return found


def _state(db: Database, shop: Shop, message_id: uuid.UUID) -> tuple[str, str | None]:
    with db.session() as s:
        row = s.get(OutboxMessage, (shop.id, message_id))
        assert row is not None
        return row.status, row.skip_reason


def test_third_marketing_message_in_a_week_is_skipped_over_the_cap(db: Database) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop, phone=PHONE, consent={"sms": True})
    with http_server(lambda _r, _n: OK) as srv:
        _sms(db, shop, srv.url)
        with clock.frozen(T0):
            first = _offer(db, shop, customer.id)
            assert deliver_once(db) == Counts(claimed=1, sent=1)
        with clock.frozen(T0 + timedelta(days=3)):
            second, third = _offer(db, shop, customer.id), _offer(db, shop, customer.id)
            receipt = _offer(db, shop, customer.id, category="transactional")
            assert deliver_once(db) == Counts(claimed=3, sent=2, skipped=1)
        with clock.frozen(T0 + timedelta(days=7, seconds=1)):  # the first left the window
            fourth = _offer(db, shop, customer.id)
            assert deliver_once(db) == Counts(claimed=1, sent=1)
        assert srv.count == 4
    assert [_state(db, shop, m) for m in (first, second, third, receipt, fourth)] == [
        ("sent", None),
        ("sent", None),
        ("skipped", "frequency_cap"),
        ("sent", None),
        ("sent", None),
    ]


def test_quiet_hours_defer_marketing_to_their_end_in_the_customers_zone(db: Database) -> None:
    shop = make_merchant(db)  # Asia/Yangon, UTC+6:30
    in_kl = make_customer(
        db, shop, phone=PHONE, timezone="Asia/Kuala_Lumpur", consent={"sms": True}
    )
    in_yangon = make_customer(db, shop, phone="+959781234568", consent={"sms": True})
    evening = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # 22:00 in KL, 20:30 in Yangon
    with http_server(lambda _r, _n: OK) as srv:
        _sms(db, shop, srv.url)
        with clock.frozen(evening):
            kl, yangon = _offer(db, shop, in_kl.id), _offer(db, shop, in_yangon.id)
            code = _offer(db, shop, in_kl.id, category="transactional")
            assert deliver_once(db) == Counts(claimed=3, sent=2, deferred=1)
        with db.session() as s:
            row = s.get(OutboxMessage, (shop.id, kl))
            assert row is not None
            # 08:00 in Kuala Lumpur the next morning; a deferral is not an attempt
            assert (row.status, row.next_attempt_at, row.attempts) == (
                "pending",
                datetime(2026, 3, 10, 0, 0, tzinfo=UTC),
                0,
            )
        with clock.frozen(datetime(2026, 3, 9, 23, 59, tzinfo=UTC)):
            assert deliver_once(db) == Counts()
        with clock.frozen(datetime(2026, 3, 10, 0, 0, tzinfo=UTC)):
            assert deliver_once(db) == Counts(claimed=1, sent=1)
        assert srv.count == 3
    assert [_state(db, shop, m)[0] for m in (kl, yangon, code)] == ["sent"] * 3


def test_settings_change_the_cap_and_the_hours_and_bad_ones_name_the_field(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    url = "/api/v1/messaging/settings"
    assert client.get(url, headers=shop.headers).json() == {
        "cap_messages": 2,
        "cap_days": 7,
        "quiet_start": "21:00",
        "quiet_end": "08:00",
    }
    bad = client.put(url, headers=shop.headers, json={"quiet_start": "25:00", "cap_days": 0})
    assert bad.status_code == 422
    assert sorted(e["field"] for e in bad.json()["errors"]) == ["cap_days", "quiet_start"]
    new = {"cap_messages": 1, "cap_days": 30, "quiet_start": "22:00", "quiet_end": "22:00"}
    assert client.put(url, headers=shop.headers, json=new).json() == new
    assert client.get(url, headers=shop.headers).json() == new
    cashier = shop.key_for(db, "cashier")
    assert client.put(url, headers=cashier, json=new).status_code == 403

    customer = make_customer(db, shop, phone=PHONE, consent={"sms": True})
    with http_server(lambda _r, _n: OK) as srv:
        _sms(db, shop, srv.url)
        with clock.frozen(datetime(2026, 3, 9, 16, 0, tzinfo=UTC)):  # 22:30: no quiet hours now
            first, second = _offer(db, shop, customer.id), _offer(db, shop, customer.id)
            assert deliver_once(db) == Counts(claimed=2, sent=1, skipped=1)
    assert [_state(db, shop, m) for m in (first, second)] == [
        ("sent", None),
        ("skipped", "frequency_cap"),
    ]

"""Each HTTP provider against a loopback server that records the request: path, auth header
and body as the provider's documentation shapes them, and the provider's id recorded."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars.db import Database
from regulars.kit import clock
from regulars.messaging import outbox
from regulars.messaging.models import ChannelConfig, OutboxMessage
from regulars.messaging.worker import deliver_once
from tests.factories import Shop, make_customer, make_merchant
from tests.messaging.servers import Recorder, Request, http_server

DAY = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
PHONE = "+959781234567"


def _send(db: Database, shop: Shop, customer_id: uuid.UUID, channel: str) -> OutboxMessage:
    with clock.frozen(DAY):
        message_id = db.run(
            lambda s: outbox.enqueue(
                s,
                merchant_id=shop.id,
                kind="signin_code",
                category="transactional",
                customer_id=customer_id,
                channel=channel,
                body="Shwe Bakery: your sign-in code is 123456.",
            )
        )
        assert deliver_once(db).sent == 1
    with db.session() as s:
        row = s.get(OutboxMessage, (shop.id, message_id))
        assert row is not None
        return row


def _put(client: TestClient, shop: Shop, channel: str, body: dict[str, Any]) -> None:
    r = client.put(f"/api/v1/channels/{channel}", headers=shop.headers, json=body)
    assert r.status_code == 200, r.text
    assert "token" not in str(r.json()["config"]).lower()


def _one(recorder: Recorder) -> Request:
    [request] = recorder.requests
    assert request.method == "POST"
    return request


def test_sms_posts_a_twilio_message_with_basic_auth(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop, phone=PHONE)
    with http_server(lambda _r, _n: (201, {"sid": "SM0001", "status": "queued"}, {})) as srv:
        _put(
            client,
            shop,
            "sms",
            {
                "account_sid": "AC123",
                "auth_token": "tok-1",
                "sender": "+15550001",
                "base_url": srv.url,
            },
        )
        row = _send(db, shop, customer.id, "sms")
        request = _one(srv)
    assert request.path == "/2010-04-01/Accounts/AC123/Messages.json"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"AC123:tok-1").decode()
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form() == {
        "To": PHONE,
        "From": "+15550001",
        "Body": "Shwe Bakery: your sign-in code is 123456.",
    }
    assert (row.status, row.provider_message_id, row.body) == ("sent", "SM0001", "")


def test_whatsapp_posts_a_cloud_api_text_message(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop, phone=PHONE)
    answer = {
        "messaging_product": "whatsapp",
        "contacts": [{"input": "959781234567", "wa_id": "959781234567"}],
        "messages": [{"id": "wamid.HBgL"}],
    }
    with http_server(lambda _r, _n: (200, answer, {})) as srv:
        _put(
            client,
            shop,
            "whatsapp",
            {"phone_number_id": "1055", "access_token": "EAAG-1", "base_url": srv.url},
        )
        row = _send(db, shop, customer.id, "whatsapp")
        request = _one(srv)
    assert request.path == "/v21.0/1055/messages"
    assert request.headers["authorization"] == "Bearer EAAG-1"
    assert request.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "959781234567",
        "type": "text",
        "text": {"preview_url": False, "body": "Shwe Bakery: your sign-in code is 123456."},
    }
    assert (row.status, row.provider_message_id) == ("sent", "wamid.HBgL")


def test_viber_posts_send_message_to_the_stored_viber_id(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop, phone=PHONE)
    answer = {"status": 0, "status_message": "ok", "message_token": 5741311803571721087}
    with http_server(lambda _r, _n: (200, answer, {})) as srv:
        _put(
            client,
            shop,
            "viber",
            {"auth_token": "445da6az1s345z78", "sender_name": "Shwe Bakery", "base_url": srv.url},
        )
        r = client.put(
            f"/api/v1/customers/{customer.id}/channel-addresses/viber",
            headers=shop.headers,
            json={"address": "01234567890A="},
        )
        assert r.status_code == 200, r.text
        row = _send(db, shop, customer.id, "viber")
        request = _one(srv)
    assert request.path == "/pa/send_message"
    assert request.headers["x-viber-auth-token"] == "445da6az1s345z78"
    assert request.json() == {
        "receiver": "01234567890A=",
        "min_api_version": 1,
        "sender": {"name": "Shwe Bakery"},
        "tracking_data": str(row.id),
        "type": "text",
        "text": "Shwe Bakery: your sign-in code is 123456.",
    }
    assert (row.status, row.provider_message_id) == ("sent", "5741311803571721087")


def test_line_pushes_with_a_retry_key(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop, phone=PHONE)
    answer = {"sentMessages": [{"id": "461230966842064897", "quoteToken": "IStG5h1Tz7b"}]}
    with http_server(lambda _r, _n: (200, answer, {})) as srv:
        _put(client, shop, "line", {"channel_access_token": "line-tok", "base_url": srv.url})
        client.put(
            f"/api/v1/customers/{customer.id}/channel-addresses/line",
            headers=shop.headers,
            json={"address": "U4af4980629ec9a2e8c1f0b9f1a8a6e1b"},
        )
        row = _send(db, shop, customer.id, "line")
        request = _one(srv)
    assert request.path == "/v2/bot/message/push"
    assert request.headers["authorization"] == "Bearer line-tok"
    assert request.headers["x-line-retry-key"] == str(row.id)
    assert request.json() == {
        "to": "U4af4980629ec9a2e8c1f0b9f1a8a6e1b",
        "messages": [{"type": "text", "text": "Shwe Bakery: your sign-in code is 123456."}],
    }
    assert (row.status, row.provider_message_id) == ("sent", "461230966842064897")


def test_telegram_sends_to_the_stored_chat_id(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop, phone=PHONE)
    answer = {"ok": True, "result": {"message_id": 42, "chat": {"id": 987654321}}}
    with http_server(lambda _r, _n: (200, answer, {})) as srv:
        _put(client, shop, "telegram", {"bot_token": "123456:ABC-DEF1234", "base_url": srv.url})
        client.put(
            f"/api/v1/customers/{customer.id}/channel-addresses/telegram",
            headers=shop.headers,
            json={"address": "987654321"},
        )
        row = _send(db, shop, customer.id, "telegram")
        request = _one(srv)
    assert request.path == "/bot123456:ABC-DEF1234/sendMessage"
    assert request.json() == {
        "chat_id": "987654321",
        "text": "Shwe Bakery: your sign-in code is 123456.",
    }
    assert (row.status, row.provider_message_id) == ("sent", "987654321:42")


def test_channel_list_shows_no_secret_and_the_database_holds_none(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    _put(
        client,
        shop,
        "telegram",
        {"bot_token": "123456:SECRET-TOKEN", "base_url": "http://127.0.0.1:9"},
    )
    listed = client.get("/api/v1/channels", headers=shop.headers).json()["data"]
    assert [(c["channel"], c["config"], c["secrets_set"]) for c in listed] == [
        ("telegram", {"base_url": "http://127.0.0.1:9"}, ["bot_token"])
    ]
    assert "SECRET-TOKEN" not in str(listed)
    with db.session() as s:
        [stored] = s.scalars(select(ChannelConfig)).all()
        assert stored.secret is not None and b"SECRET-TOKEN" not in stored.secret
        assert "SECRET-TOKEN" not in str(stored.config)
    other = make_merchant(db, name="Other")
    assert client.get("/api/v1/channels", headers=other.headers).json() == {"data": []}
